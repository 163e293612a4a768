package check

import (
	"strconv"
	"strings"
	"time"

	"maillab/trace/i18n"
)

// POP3 answers: a status line that starts +OK or -ERR (RFC 1939 3), and
// for some commands a multi-line body ended by a line of one dot.

// ok reports whether a POP3 status line is a well-formed +OK.
func (r reply) ok() bool { return r.status() == "+OK" }

// refused reports whether a POP3 status line is a well-formed -ERR.
func (r reply) refused() bool { return r.status() == "-ERR" }

// status is +OK or -ERR when the line starts with one of them, followed
// by a space or nothing; "" otherwise.
func (r reply) status() string {
	if r.err != nil || len(r.lines) == 0 {
		return ""
	}
	return statusOf(r.lines[0])
}

// statusOf is a status line's +OK or -ERR, or "" when it has neither.
func statusOf(line string) string {
	for _, s := range []string{"+OK", "-ERR"} {
		if line == s || strings.HasPrefix(line, s+" ") {
			return s
		}
	}
	return ""
}

// statusBad says what is wrong with a POP3 status line, if anything.
func statusBad(line string) string {
	if statusOf(line) != "" {
		return ""
	}
	return i18n.T("a status line must start +OK or -ERR: %q", line).In(nil)
}

// body is a multi-line answer: its lines with the byte-stuffing undone,
// and its size in octets with CRLF line ends, stuffed dots not counted.
type body struct {
	lines []string
	size  int
	err   error
}

// maxBody and maxBodyLines bound a multi-line answer: a server that
// never ends one is cut off. bodyTimeouts is how many --timeout it may
// take in all.
const (
	maxBody      = 32 << 20
	maxBodyLines = 1 << 18
	bodyTimeouts = 6
)

// multi reads the lines of a multi-line answer up to the lone dot,
// undoing the byte-stuffing (RFC 1939 3).
func (c *Conn) multi() body {
	var b body
	// one deadline for the whole answer, not one per line: a server that
	// drips a line at a time is cut off too
	c.tap.SetReadDeadline(time.Now().Add(bodyTimeouts * c.opts.Timeout))
	for b.size < maxBody && len(b.lines) < maxBodyLines {
		line, err := c.line()
		if err != nil {
			b.err = err
			return b
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "." {
			return b
		}
		line = strings.TrimPrefix(line, ".") // the stuffed dot is not the message's (RFC 1939 11)
		b.size += len(line) + 2
		b.lines = append(b.lines, line)
	}
	b.err = i18n.Errorf("a multi-line answer of more than %d octets or %d lines without its final dot", maxBody, maxBodyLines)
	return b
}

// pop sends a multi-line POP3 command and reads its status line, and
// when it is +OK the body too.
func (c *Conn) pop(line string) (reply, body) {
	r := c.cmd(line)
	if !r.ok() {
		return r, body{}
	}
	return r, c.multi()
}

// login says USER and PASS. A server may still hold the lock of the
// previous case's session for a moment (RFC 1939 8): a refused PASS is
// tried again for a second before it counts.
func (c *Conn) login() verdict {
	for try := 0; ; try++ {
		if r := c.cmd("USER " + c.opts.User); !r.ok() {
			return failedPOP("USER "+c.opts.User, "+OK", r)
		}
		r := c.cmd("PASS " + c.opts.Password)
		if r.ok() {
			return verdict{ok: true}
		}
		if try == 5 || !r.refused() {
			return failedPOP("PASS …", "+OK", r)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stat says STAT and reads its two numbers.
func (c *Conn) stat() (count int, size int64, r reply, ok bool) {
	r = c.cmd("STAT")
	if !r.ok() {
		return 0, 0, r, false
	}
	f := strings.Fields(r.lines[0])
	if len(f) < 3 {
		return 0, 0, r, false
	}
	n, err1 := strconv.Atoi(f[1])
	s, err2 := strconv.ParseInt(f[2], 10, 64)
	return n, s, r, err1 == nil && err2 == nil && n >= 0 && s >= 0 && strings.HasPrefix(r.lines[0], "+OK "+f[1]+" "+f[2])
}

// failedPOP is a verdict for a line whose status was not the one wanted.
func failedPOP(line, want string, r reply) verdict {
	return verdict{want: i18n.T("%s to %q", want, printable(line)), got: r.String()}
}
