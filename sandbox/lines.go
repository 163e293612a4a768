package sandbox

import (
	"bufio"
	"bytes"
	"net"
	"sync/atomic"
	"time"

	"maillab/trace/i18n"
)

// errLineTooLong reports a line longer than allowed. The rest of the line
// has been read and thrown away, so the session can answer and go on.
var errLineTooLong = i18n.NewError("line too long")

// lineReader reads lines that end in CRLF or a bare LF (as nc sends them),
// never holding more than max octets of one line in memory.
type lineReader struct {
	r       *bufio.Reader
	conn    net.Conn
	timeout func() time.Duration // idle time allowed before each line; 0 means none
	closing *atomic.Bool         // set when the server shuts down: stop waiting at once
	buf     []byte
	armed   time.Time // the read deadline armDeadline set last
}

func newLineReader(conn net.Conn, timeout func() time.Duration, closing *atomic.Bool) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(conn, 4096), conn: conn, timeout: timeout, closing: closing}
}

// armDeadline allows the idle time for the next line. Shutdown sets
// closing and then a past deadline on every connection; checking closing
// after setting ours means that deadline is never overwritten.
//
// Setting a deadline costs a timer update in the runtime, and a busy
// session reads a line every few microseconds, so a deadline set less
// than a sixteenth of the idle time ago is kept: the client gets at least
// 15/16 of it. A shorter idle time (a server under load) is set at once.
func (lr *lineReader) armDeadline() error {
	timeout := lr.timeout()
	if timeout <= 0 {
		return nil
	}
	now := time.Now()
	want := now.Add(timeout)
	if early := want.Sub(lr.armed); early < 0 || early >= timeout/16 {
		if err := lr.conn.SetReadDeadline(want); err != nil {
			return err
		}
		lr.armed = want
	}
	if lr.closing.Load() {
		return lr.conn.SetReadDeadline(now)
	}
	return nil
}

// discard throws away what has been read and not yet taken: plaintext a
// client pipelined after STARTTLS. It returns it, for the record.
func (lr *lineReader) discard() []byte {
	n := lr.r.Buffered()
	if n == 0 {
		return nil
	}
	b, _ := lr.r.Peek(n)
	out := append([]byte(nil), b...)
	lr.r.Discard(n)
	return out
}

// readLine returns the next line without its line end. The returned slice
// is valid until the next call. A line longer than max octets is discarded
// up to its end and errLineTooLong returned.
func (lr *lineReader) readLine(max int) ([]byte, error) {
	if err := lr.armDeadline(); err != nil {
		return nil, err
	}
	lr.buf = lr.buf[:0]
	tooLong := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(chunk) > max+2 { // +2: room for CRLF
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return nil, err
		case tooLong:
			return nil, errLineTooLong
		}
		line := bytes.TrimSuffix(lr.buf, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > max {
			return nil, errLineTooLong
		}
		return line, nil
	}
}
