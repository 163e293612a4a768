// Package client speaks SMTP and POP3 the way a learner does: one line at
// a time, waiting for each whole answer, while following the
// conversation's state so that it can say what is valid next. The practice
// prompt, the lessons and play's six steps all talk to servers through it,
// and every line it sends or reads is a trace.Event.
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// ErrClosed means the server has closed the connection.
var ErrClosed = i18n.NewError("the server closed the connection")

// Config says where to connect and how transcripts name the session.
type Config struct {
	Proto      string        // "smtp" or "pop3", any case
	Addr       string        // host:port
	Client     string        // how transcripts name this client, e.g. "you"
	ClientRole trace.Role    // what that name is (trace.RoleSelf: maillab's own word, translated)
	Server     string        // how they name the server; "": the address
	Session    string        // the session's id; "": the client's name
	Hop        trace.Hop     // SMTP: which leg this is; "": a submission
	Sink       trace.Sink    // receives every line as an Event
	Timeout    time.Duration // for connecting and for each answer; 0: 30 seconds
	// Message names the message this client sends (the relay knows which
	// one it carries): the lines of its transaction carry it.
	Message string

	// TLS, when set, is used after STARTTLS (or STLS) is accepted, and at
	// once on connecting when Implicit (SMTPS, POP3S).
	TLS      *TLS
	Implicit bool
}

// Session is one connection to a server, speaking SMTP or POP3.
type Session struct {
	Proto  proto.Name // SMTP or POP3
	Server string     // the name the greeting gave, e.g. "smtp.sohu.com"

	Secure    bool                // TLS is on
	TLSState  tls.ConnectionState // of the handshake, once Secure
	VerifyErr error               // why the server's certificate did not verify, if it did not

	raw       net.Conn   // the TCP connection
	tap       *trace.Tap // above TLS: follows the conversation, and records it when there is a sink
	tapped    bool       // the lines go to a sink
	follower  proto.Follower
	tls       *TLS
	conn      net.Conn
	r         *bufio.Reader
	exchanges []Exchange
	hungUp    bool // the server closed the connection after an answer
	timeout   time.Duration
	closed    atomic.Bool
}

// Dial connects and reads the greeting, which it returns.
func Dial(ctx context.Context, cfg Config) (*Session, []string, error) {
	name := proto.Name(strings.ToUpper(cfg.Proto))
	if name != proto.SMTP && name != proto.POP3 {
		return nil, nil, i18n.Errorf("protocol %q: choose smtp or pop3", cfg.Proto)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	d := net.Dialer{Timeout: cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, nil, err
	}
	s := &Session{Proto: name, Server: cfg.Addr, timeout: cfg.Timeout, raw: raw, tls: cfg.TLS, tapped: cfg.Sink != nil}
	tc := tapConfig(cfg, name)
	s.follower = tc.Follower
	s.tap = trace.NewTap(raw, tc)
	s.conn = s.tap
	s.r = bufio.NewReader(s.conn)
	if cfg.Implicit {
		if cfg.TLS == nil {
			raw.Close()
			return nil, nil, i18n.Errorf("implicit TLS needs a TLS configuration")
		}
		if err := s.handshake(); err != nil {
			raw.Close()
			return nil, nil, err
		}
	}
	greeting, err := s.readAnswer("")
	if err != nil {
		s.conn.Close()
		return nil, nil, i18n.Errorf("reading the greeting: %w", err)
	}
	if f := strings.Fields(greeting[0]); len(f) > 1 {
		s.Server = f[1]
	}
	s.answered("", greeting)
	return s, greeting, nil
}

// tapConfig sets up the session's Tap: it follows the conversation (the
// session's state is its Follower's), and records it when there is a sink.
func tapConfig(cfg Config, name proto.Name) trace.TapConfig {
	var pc proto.Config
	if cfg.Message != "" {
		pc.NewMessage = func() string { return cfg.Message }
	}
	tc := trace.TapConfig{
		Side: trace.ClientSide, Proto: name, Client: cfg.Client, ClientRole: cfg.ClientRole, Server: cfg.Server,
		Session: cfg.Session, Sink: cfg.Sink, Follower: trace.NewFollower(name, pc),
	}
	if tc.Server == "" {
		tc.Server = cfg.Addr
	}
	if tc.Session == "" {
		tc.Session = cfg.Client
	}
	if name == proto.SMTP {
		tc.Hop = cfg.Hop
		if tc.Hop == "" {
			tc.Hop = trace.Submission
		}
	}
	return tc
}

// State returns where the conversation is.
func (s *Session) State() *State {
	var st *State
	s.tap.Follow(func(f proto.Follower) { st = stateOf(f, s.exchanges, s.hungUp || s.closed.Load()) })
	return st
}

// answered records a command and its answer.
func (s *Session) answered(cmd string, answer []string) {
	if len(answer) > 0 {
		s.exchanges = append(s.exchanges, exchange(s.Proto, cmd, answer))
	}
}

// LocalAddr is this end of the connection.
func (s *Session) LocalAddr() net.Addr { return s.raw.LocalAddr() }

// Closed reports whether the connection is gone.
func (s *Session) Closed() bool { return s.closed.Load() }

// Tapped reports whether the session's lines go to a sink.
func (s *Session) Tapped() bool { return s.tapped }

// Close ends the connection without saying goodbye (through TLS when it
// is on, so the server gets TLS's close_notify).
func (s *Session) Close() error {
	s.closed.Store(true)
	return s.conn.Close()
}

// Quit says goodbye as a polite client does (QUIT, and the server's
// answer: a POP3 server applies deletions then, RFC 1939 section 6) and
// closes. A session in the middle of a message's content is only closed:
// QUIT there would be a line of the message.
func (s *Session) Quit() error {
	if s.closed.Load() {
		return nil
	}
	if !s.inData() {
		s.SetTimeout(2 * time.Second)
		s.Send("QUIT")
	}
	return s.Close()
}

// Abort closes the TCP connection at once, from any goroutine: a Send
// waiting for an answer returns an error.
func (s *Session) Abort() {
	s.closed.Store(true)
	s.raw.Close()
}

// Send sends one line and returns the server's whole answer. Lines of a
// message after DATA's 354 are sent without waiting (the server answers
// only the final "."), so their answer is empty.
func (s *Session) Send(line string) ([]string, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if strings.ContainsAny(line, "\r\n") {
		return nil, i18n.NewError("one line at a time: the line must not contain CR or LF")
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := io.WriteString(s.conn, line+"\r\n"); err != nil {
		s.closed.Store(true)
		return nil, i18n.Errorf("%w (%v)", ErrClosed, err)
	}
	if s.inData() && line != "." {
		return nil, nil
	}
	answer, err := s.readAnswer(line)
	if err != nil {
		return answer, err
	}
	s.answered(line, answer)
	if s.startsTLS(line, answer) {
		return answer, s.upgrade()
	}
	answer = s.unsolicited(answer)
	if s.State().Closed {
		s.closed.Store(true)
		s.conn.Close()
	}
	return answer, nil
}

// Pipeline writes several lines in one segment, as a client using
// PIPELINING (RFC 2920) does, then reads their answers in order. When an
// answer starts TLS, the lines after it went out in plaintext before the
// handshake: a correct server throws them away, so they are returned as
// unanswered and not waited for (the STARTTLS injection of CVE-2011-0411).
func (s *Session) Pipeline(lines []string) (answers [][]string, unanswered []string, err error) {
	if s.closed.Load() {
		return nil, nil, ErrClosed
	}
	if s.inData() {
		return nil, nil, i18n.NewError("no pipelining inside a message")
	}
	var b strings.Builder
	for i, line := range lines {
		if strings.ContainsAny(line, "\r\n") {
			return nil, nil, i18n.NewError("one line at a time: a line must not contain CR or LF")
		}
		if strings.EqualFold(strings.TrimSpace(line), "DATA") && i < len(lines)-1 {
			return nil, nil, i18n.NewError("DATA must be the last command of a pipelined group (RFC 2920)")
		}
		b.WriteString(line + "\r\n")
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := io.WriteString(s.conn, b.String()); err != nil {
		s.closed.Store(true)
		return nil, nil, i18n.Errorf("%w (%v)", ErrClosed, err)
	}
	for i, line := range lines {
		answer, err := s.readAnswer(line)
		if err != nil {
			return answers, nil, err
		}
		s.answered(line, answer)
		answers = append(answers, answer)
		if s.startsTLS(line, answer) {
			return answers, lines[i+1:], s.upgrade()
		}
	}
	return answers, nil, nil
}

// afterErrorWait is how long the client listens, after an error answer,
// for the server to say more: a server that gives up (too many errors or
// failed logins) says so at once and closes.
const afterErrorWait = 100 * time.Millisecond

// unsolicited reads what the server sent right after an error answer
// without being asked: a 421 (or a POP3 -ERR) saying it closes the
// connection. The state then knows it is closed, and the prompt says so.
func (s *Session) unsolicited(answer []string) []string {
	if !IsError(answer) || s.State().Closed {
		return answer
	}
	s.conn.SetReadDeadline(time.Now().Add(afterErrorWait))
	if _, err := s.r.Peek(1); err != nil {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			s.hungUp = true // the server hung up
		}
		return answer
	}
	more, err := s.readAnswer("")
	answer = append(answer, more...)
	if err != nil || len(more) > 0 && (strings.HasPrefix(more[0], "421") || strings.HasPrefix(more[0], "-ERR")) {
		s.hungUp = true
	}
	return answer
}

// inData reports whether the message is being sent (after DATA's 354).
func (s *Session) inData() bool {
	in := false
	s.tap.Follow(func(f proto.Follower) {
		if f, ok := f.(*smtp.Follower); ok {
			in = f.State().InData
		}
	})
	return in
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
			s.closed.Store(true)
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
	if s.Proto == proto.SMTP {
		return len(last) < 4 || last[3] != '-'
	}
	if len(lines) == 1 {
		return !strings.HasPrefix(last, "+OK") || !pop3.MultiLine(cmd)
	}
	return last == "."
}

// IsError reports whether an answer is a failure: a 4xx or 5xx reply, or
// -ERR.
func IsError(answer []string) bool {
	if len(answer) == 0 {
		return false
	}
	first := answer[0]
	return strings.HasPrefix(first, "-ERR") || strings.HasPrefix(first, "4") || strings.HasPrefix(first, "5")
}

// Content returns the lines of a multi-line POP3 answer (after its status
// line, up to the "."), dot-stuffing undone, joined with CRLF: a message
// exactly as it was stored.
func Content(answer []string) []byte {
	var b strings.Builder
	for _, l := range answer[1:] {
		if l == "." {
			break
		}
		b.WriteString(strings.TrimPrefix(l, "."))
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// SendMessage sends a whole message after DATA's 354 (CRLF lines),
// dot-stuffed, then ".", in one write, and returns the server's answer to
// it. It is what a mail server relaying does; a person types Send lines.
func (s *Session) SendMessage(msg []byte) ([]string, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var b strings.Builder
	b.Grow(len(msg) + len(msg)/50 + 8)
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, '\n')
		line := msg
		if i >= 0 {
			line = msg[:i+1]
		}
		msg = msg[len(line):]
		if line[0] == '.' {
			b.WriteByte('.') // dot-stuffing (RFC 5321 section 4.5.2)
		}
		b.Write(bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")))
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := io.WriteString(s.conn, b.String()); err != nil {
		s.closed.Store(true)
		return nil, i18n.Errorf("%w (%v)", ErrClosed, err)
	}
	answer, err := s.readAnswer(".")
	if err != nil {
		return answer, err
	}
	s.answered(".", answer)
	return answer, nil
}

// Extensions returns the keywords of an EHLO answer ("STARTTLS", "SIZE").
func Extensions(answer []string) map[string]string {
	ext := map[string]string{}
	for _, l := range answer[min(1, len(answer)):] {
		if len(l) < 4 {
			continue
		}
		kw, arg, _ := strings.Cut(l[4:], " ")
		ext[strings.ToUpper(kw)] = arg
	}
	return ext
}

// SetTimeout changes how long the session waits for each answer.
func (s *Session) SetTimeout(d time.Duration) { s.timeout = d }
