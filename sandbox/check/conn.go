package check

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// Conn is one connection to the server under check: lines written and
// replies read as they are, every one recorded by a tap for the case's
// transcript.
type Conn struct {
	opts     Options
	offered  map[string]bool
	raw      net.Conn
	tap      *trace.Tap
	r        *bufio.Reader
	mu       sync.Mutex
	events   []trace.Event
	greeting reply
	closed   bool // QUIT said, or the connection dropped on purpose
	done     bool // closed
	ctx      context.Context
	ownLogin bool // the case logs in itself (Case.ownLogin)
	authed   bool // logged in for a server that takes mail only after a login
	// stopWatch stops the watch that ends reads when the run is cancelled.
	stopWatch func() bool
}

// reply is a server's answer: its code and lines, and what is wrong with
// its form, if anything.
type reply struct {
	code  int
	lines []string
	bad   string // "": well formed
	err   error  // nothing came: a timeout, a closed connection
}

// String is the reply as it came, for a report.
func (r reply) String() string {
	if r.err != nil {
		return i18n.TranslateError(nil, r.err)
	}
	return strings.Join(r.lines, " / ")
}

// is reports whether a well-formed reply has one of the codes.
func (r reply) is(codes ...int) bool {
	if r.err != nil || r.bad != "" {
		return false
	}
	for _, c := range codes {
		if r.code == c {
			return true
		}
	}
	return false
}

// extensions are what an EHLO reply offers: each line after the first,
// its words upper-cased (a keyword and its parameters, RFC 5321 4.1.1.1).
func (r reply) extensions() [][]string {
	var all [][]string
	for _, line := range r.lines[min(1, len(r.lines)):] {
		if words := strings.Fields(strings.ToUpper(line[min(4, len(line)):])); len(words) > 0 {
			all = append(all, words)
		}
	}
	return all
}

// dial connects and reads the greeting, through TLS as opts say.
func dial(ctx context.Context, opts Options, offered map[string]bool) (*Conn, error) {
	return dialAs(ctx, opts, offered, nil, "#1")
}

// dialAs is dial with the events going to sink (nil: the connection's
// own record) under a session name.
func dialAs(ctx context.Context, opts Options, offered map[string]bool, sink func(trace.Event), session string) (*Conn, error) {
	d := net.Dialer{Timeout: opts.Timeout}
	raw, err := d.DialContext(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, i18n.Errorf("connect to %s: %w", opts.Addr, err)
	}
	c := &Conn{opts: opts, offered: offered, raw: raw, ctx: ctx}
	c.stopWatch = context.AfterFunc(ctx, func() { raw.SetDeadline(time.Now()) }) // a cancelled run stops reading at once
	if sink == nil {
		sink = c.record
	}
	c.tap = trace.NewTap(raw, trace.TapConfig{Side: trace.ClientSide, Proto: proto.Name(strings.ToUpper(opts.Proto)),
		Client: "maillab check", ClientRole: trace.RoleSelf, Server: opts.Addr, Session: session, Sink: sink})
	c.r = bufio.NewReader(c.tap)
	if opts.TLS == "implicit" {
		if err := c.handshake(); err != nil {
			c.abandon()
			return nil, err
		}
	}
	c.greeting = c.read()
	if c.greeting.err != nil {
		c.abandon()
		return nil, i18n.Errorf("the greeting of %s: %w", opts.Addr, c.greeting.err)
	}
	if opts.TLS == "starttls" {
		if err := c.startTLS(); err != nil {
			c.abandon()
			return nil, err
		}
	}
	return c, nil
}

// abandon drops a connection that never became a session.
func (c *Conn) abandon() {
	c.stopWatch()
	c.raw.Close()
}

// record keeps an event of the tap.
func (c *Conn) record(e trace.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.events) < 400 {
		c.events = append(c.events, e)
	}
}

// handshake turns the connection to TLS; the tap sits above it.
func (c *Conn) handshake() error {
	cfg := c.opts.TLSConf
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true} // a student's own certificate: the protocol is graded, not the PKI
	}
	tc := tls.Client(c.raw, cfg)
	c.raw.SetDeadline(time.Now().Add(c.opts.Timeout))
	if err := tc.Handshake(); err != nil {
		return i18n.Errorf("TLS handshake with %s: %w", c.opts.Addr, err)
	}
	c.raw.SetDeadline(time.Time{})
	c.tap.Upgrade(tc, nil)
	c.r = bufio.NewReader(c.tap)
	return nil
}

// startTLS says EHLO and STARTTLS (STLS for POP3) and does the handshake.
func (c *Conn) startTLS() error {
	if c.opts.Proto == "pop3" {
		if r := c.cmd("STLS"); !r.ok() {
			return i18n.Errorf("STLS: %s", r.String())
		}
		return c.handshake()
	}
	c.ehlo()
	if r := c.cmd("STARTTLS"); !r.is(220) {
		return i18n.Errorf("STARTTLS: %s", r.String())
	}
	return c.handshake()
}

func firstLine(r reply) string {
	if len(r.lines) == 0 {
		return ""
	}
	return r.lines[0]
}

// literal is this end's address as EHLO names it ("[127.0.0.1]").
func (c *Conn) literal() string { return smtp.AddressLiteral(c.raw.LocalAddr()) }

// send writes a line with CRLF.
func (c *Conn) send(line string) error { return c.write(line + "\r\n") }

// write writes bytes as they are.
func (c *Conn) write(s string) error {
	c.tap.SetWriteDeadline(time.Now().Add(c.opts.Timeout))
	_, err := c.tap.Write([]byte(s))
	return err
}

// maxLine bounds a line from the server: a server that never ends one is
// cut off, not buffered without end.
const maxLine = 64 << 10

// line reads one line (with its line end) of at most maxLine octets.
func (c *Conn) line() (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		b = append(b, chunk...)
		switch {
		case err == bufio.ErrBufferFull && len(b) < maxLine:
			continue
		case err == bufio.ErrBufferFull:
			return "", i18n.Errorf("a line of more than %d octets", maxLine)
		}
		return string(b), err
	}
}

// maxReply bounds a reply's octets (RFC 5321 4.5.3.1.5 allows 512 a line).
const maxReply = 64 << 10

// maxReplyLines bounds a reply: a server that never ends one is cut off.
const maxReplyLines = 200

// read reads one reply: SMTP's lines up to the one whose code has a space
// after it (RFC 5321 4.2), noting any line out of form; POP3's status line.
func (c *Conn) read() reply {
	c.tap.SetReadDeadline(time.Now().Add(c.opts.Timeout))
	var r reply
	octets := 0
	for len(r.lines) < maxReplyLines {
		line, err := c.line()
		if err != nil {
			r.err = err
			return r
		}
		if octets += len(line); octets > maxReply {
			r.bad = i18n.T("a reply of more than %d octets", maxReply).In(nil)
			return r
		}
		line = strings.TrimRight(line, "\r\n")
		r.lines = append(r.lines, line)
		if c.opts.Proto == "pop3" {
			r.bad = statusBad(line)
			return r
		}
		code, last, bad := replyLine(line)
		switch {
		case bad != "" && r.bad == "":
			r.bad = bad
		case len(r.lines) == 1:
			r.code = code
		case code != r.code && r.bad == "":
			r.bad = i18n.T("a line of the reply has another code: %s", line).In(nil)
		}
		if last || bad != "" {
			return r
		}
	}
	r.bad = i18n.T("a reply of more than %d lines", maxReplyLines).In(nil)
	return r
}

// replyLine reads an SMTP reply line: its code, whether it is the last
// of its reply, and what is wrong with it.
func replyLine(line string) (code int, last bool, bad string) {
	if len(line) < 3 {
		return 0, true, i18n.T("not a reply line: %q", line).In(nil)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 200 || code > 599 {
		return 0, true, i18n.T("not a reply line: %q", line).In(nil)
	}
	switch {
	case len(line) == 3 || line[3] == ' ':
		return code, true, ""
	case line[3] == '-':
		return code, false, ""
	}
	return code, true, i18n.T("after the code comes %q, not a space or a hyphen", line[3:4]).In(nil)
}

// cmd sends a line and reads its reply.
func (c *Conn) cmd(line string) reply {
	if err := c.send(line); err != nil {
		return reply{err: err}
	}
	return c.read()
}

// quiet reports whether nothing comes from the server for a while (a
// reply there would be to a line that should have none).
func (c *Conn) quiet(d time.Duration) (bool, string) {
	c.tap.SetReadDeadline(time.Now().Add(d))
	line, err := c.line()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && line == "" {
		return true, ""
	}
	return false, strings.TrimRight(line, "\r\n")
}

// ehlo says EHLO with this end's address literal.
func (c *Conn) ehlo() reply { return c.cmd("EHLO " + c.literal()) }

// quitCloses says QUIT, needing the answer good says is right, then the
// server to close the connection.
func (c *Conn) quitCloses(good func(reply) bool, want string) verdict {
	r := c.cmd("QUIT")
	c.closed = true
	if !good(r) {
		return failedPOP("QUIT", want, r)
	}
	if quiet, line := c.quiet(2 * time.Second); quiet {
		return verdict{want: i18n.T("the connection closed after the answer to QUIT"), got: i18n.T("it stayed open").In(nil)}
	} else if line != "" {
		return verdict{want: i18n.T("nothing after the answer to QUIT"), got: line}
	}
	return verdict{ok: true}
}

// again opens another session to the same server for a case that looks
// at what a session left behind; its lines join this case's transcript.
func (c *Conn) again() (*Conn, error) {
	return dialAs(c.ctx, c.opts, c.offered, c.record, "#2")
}

// close says QUIT (not waiting long) and closes.
func (c *Conn) close() {
	if c.done {
		return
	}
	c.done = true
	if !c.closed {
		c.tap.SetDeadline(time.Now().Add(300 * time.Millisecond))
		c.send("QUIT")
		c.read()
	}
	c.tap.Close()
	c.stopWatch()
}

// domain is the server's own domain, for a local recipient: as given, or
// the greeting's host name less a first label such as smtp. or mail.
func (c *Conn) domain() string {
	if c.opts.Domain != "" {
		return c.opts.Domain
	}
	line := firstLine(c.greeting)
	if len(line) < 5 {
		return "localhost"
	}
	host, _, _ := strings.Cut(strings.TrimSpace(line[4:]), " ")
	for _, prefix := range []string{"smtp.", "mail.", "mx.", "pop3.", "pop."} {
		if strings.HasPrefix(host, prefix) && strings.Count(host, ".") > 1 {
			return strings.TrimPrefix(host, prefix)
		}
	}
	return host
}
