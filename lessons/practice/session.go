// Package practice is the learner's raw-command prompt: it sends what the
// learner types to a real SMTP or POP3 server, line by line, waits for each
// whole answer, and follows the conversation's state so that it can say
// what is valid next. Lessons drive it too.
package practice

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"maillab/trace"
)

// ErrClosed means the server has closed the connection.
var ErrClosed = errors.New("the server closed the connection")

// Session is one connection to a server, speaking SMTP or POP3.
type Session struct {
	Proto  string // "SMTP" or "POP3"
	Server string // the name the greeting gave, e.g. "smtp.sohu.com"

	conn    net.Conn
	r       *bufio.Reader
	state   *State
	timeout time.Duration
	closed  bool
}

// Dial connects to addr and reads the greeting. Every line that crosses
// the connection is passed to sink as an Event.
func Dial(addr, proto, client string, sink trace.Sink) (*Session, []string, error) {
	proto = strings.ToUpper(proto)
	if proto != "SMTP" && proto != "POP3" {
		return nil, nil, fmt.Errorf("protocol %q: choose smtp or pop3", proto)
	}
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	s := &Session{Proto: proto, Server: addr, timeout: 30 * time.Second, state: newState(proto)}
	s.conn = trace.NewTap(raw, trace.TapConfig{
		Side: trace.ClientSide, Proto: proto, Client: client, Server: addr,
		Session: "practice", Sink: sink,
		IsRelay: func(string) bool { return false },
	})
	s.r = bufio.NewReader(s.conn)
	greeting, err := s.readAnswer("")
	if err != nil {
		raw.Close()
		return nil, nil, fmt.Errorf("reading the greeting: %w", err)
	}
	if f := strings.Fields(greeting[0]); len(f) > 1 {
		s.Server = f[1]
	}
	s.state.answered("", greeting)
	return s, greeting, nil
}

// State returns where the conversation is.
func (s *Session) State() *State { return s.state }

// Closed reports whether the connection is gone.
func (s *Session) Closed() bool { return s.closed }

// Close ends the connection without saying goodbye.
func (s *Session) Close() error {
	s.closed = true
	return s.conn.Close()
}

// Send sends one line and returns the server's whole answer. Lines of a
// message after DATA's 354 are sent without waiting (the server answers
// only the final "."), so their answer is empty.
func (s *Session) Send(line string) ([]string, error) {
	if s.closed {
		return nil, ErrClosed
	}
	if strings.ContainsAny(line, "\r\n") {
		return nil, errors.New("one line at a time: the line must not contain CR or LF")
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := io.WriteString(s.conn, line+"\r\n"); err != nil {
		s.closed = true
		return nil, fmt.Errorf("%w (%v)", ErrClosed, err)
	}
	if s.state.InData && line != "." {
		return nil, nil
	}
	answer, err := s.readAnswer(line)
	if err != nil {
		return answer, err
	}
	s.state.answered(line, answer)
	if s.state.Closed {
		s.closed = true
		s.conn.Close()
	}
	return answer, nil
}

// readAnswer reads one whole answer to line: an SMTP reply with its
// continuation lines, a POP3 status line, and after +OK to a multi-line
// command, the lines up to ".".
func (s *Session) readAnswer(line string) ([]string, error) {
	s.conn.SetReadDeadline(time.Now().Add(s.timeout))
	var out []string
	for {
		l, err := s.r.ReadString('\n')
		if err != nil {
			s.closed = true
			if len(out) > 0 || l != "" {
				return append(out, strings.TrimRight(l, "\r\n")), ErrClosed
			}
			return out, ErrClosed
		}
		l = strings.TrimRight(l, "\r\n")
		out = append(out, l)
		if s.answerComplete(line, out) {
			return out, nil
		}
	}
}

// answerComplete reports whether the lines read so far are the whole answer.
func (s *Session) answerComplete(cmd string, lines []string) bool {
	last := lines[len(lines)-1]
	if s.Proto == "SMTP" {
		return len(last) < 4 || last[3] != '-'
	}
	if len(lines) == 1 {
		return !strings.HasPrefix(last, "+OK") || !trace.POP3MultiLine(cmd)
	}
	return last == "."
}
