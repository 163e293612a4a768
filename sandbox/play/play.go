// Package play runs the six steps of an e-mail's journey on an embedded
// sandbox: a client submits a message over SMTP, the sender's provider
// relays it, the recipient's provider stores it, and a client retrieves it
// over POP3. Every line of every session, and every action of the sandbox,
// reaches the caller as a trace.Event.
package play

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"maillab/sandbox"
	"maillab/trace"
	"maillab/trace/decode"
)

// Options describe the message to send.
type Options struct {
	From    string        // a sandbox account; default gacl@sohu.com
	To      string        // any address; default bbb@sina.com
	Subject string        // default "hello"
	Body    string        // default "hello gacl"
	Sink    trace.Sink    // receives every Event, in order
	Timeout time.Duration // for the whole journey; default 15s
}

func (o *Options) setDefaults() {
	if o.From == "" {
		o.From = "gacl@sohu.com"
	}
	if o.To == "" {
		o.To = "bbb@sina.com"
	}
	if o.Subject == "" {
		o.Subject = "hello"
	}
	if o.Body == "" {
		o.Body = "hello gacl"
	}
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
}

// Result sums up a journey.
type Result struct {
	Delivered bool          // the message reached the recipient's mailbox
	Bounced   bool          // it could not be delivered; the sender got a report
	Refused   string        // the reply that refused it during submission, if any
	Hops      int           // SMTP servers it passed (Received: headers)
	Octets    int           // size of the retrieved message
	Retrieved []byte        // the retrieved message (the bounce, when Bounced)
	Elapsed   time.Duration // from the first connection to the last QUIT
}

// Run starts a sandbox on free loopback ports, sends one message through
// it and retrieves it, and stops the sandbox.
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts.setDefaults()
	from, err := sandbox.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	to, err := sandbox.ParseAddress(opts.To)
	if err != nil {
		return nil, fmt.Errorf("--to: %w", err)
	}
	sb, err := sandbox.Start(sandbox.Config{RandomPorts: true, TapRelay: true})
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	if _, _, ok := sb.World().Account(from); !ok {
		return nil, fmt.Errorf("--from %s: not a sandbox account (try %s)", from, accountList(sb.World()))
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	j := &journey{sb: sb, opts: opts, from: from, to: to, msgID: newMessageID(from)}
	return j.run(ctx)
}

// accountList names every account of the world, e.g. "gacl@sohu.com, aaa@sohu.com".
func accountList(w *sandbox.World) string {
	var names []string
	for _, p := range w.Providers {
		for _, u := range p.Users() {
			names = append(names, u+"@"+p.Domain)
		}
	}
	return strings.Join(names, ", ")
}

// journey is one run of the six steps.
type journey struct {
	sb       *sandbox.Sandbox
	opts     Options
	from, to sandbox.Address
	msgID    string
	outcome  chan outcome

	// What the sandbox's events said so far (only watch touches these).
	stored    *sandbox.Address // the mailbox the message reached
	bounced   bool             // reported undeliverable; its report is stored next
	submitted bool             // the step-1 session has ended
	held      []trace.Event    // events of later steps that came during step 1
}

// outcome is how the message's trip ended, as the sandbox's events say.
type outcome struct {
	bounced bool
	mailbox sandbox.Address // where to fetch the result
}

func (j *journey) run(ctx context.Context) (*Result, error) {
	j.outcome = make(chan outcome, 2)
	stop := j.sb.Events.Subscribe(j.watch)
	defer stop()
	start := time.Now()
	res := &Result{}
	refused, err := j.submit(ctx)
	if err != nil {
		return nil, fmt.Errorf("step 1, sending to %s: %w", j.from.Domain, err)
	}
	if refused != "" {
		res.Refused, res.Elapsed = refused, time.Since(start)
		return res, nil
	}
	var out outcome
	select {
	case out = <-j.outcome:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for delivery to %s: %w", j.to, ctx.Err())
	}
	msg, err := j.retrieve(ctx, out.mailbox)
	if err != nil {
		return nil, fmt.Errorf("step 4, retrieving from %s: %w", out.mailbox.Domain, err)
	}
	res.Delivered, res.Bounced = !out.bounced, out.bounced
	res.Retrieved, res.Octets = msg, len(msg)
	res.Hops = strings.Count("\r\n"+string(msg), "\r\nReceived: ") // each hop prepended one
	res.Elapsed = time.Since(start)
	return res, nil
}

// watch passes every Event on and notices when the message was stored or
// bounced. A bounce is followed by the report stored in the sender's
// mailbox, which is what the client then fetches.
//
// The relay starts while the sender's client is still saying goodbye; the
// events of later steps that come meanwhile are held back until step 1's
// session has ended, so that the transcript reads one step after another.
func (j *journey) watch(e trace.Event) {
	j.show(e)
	if e.Kind != trace.Internal {
		return
	}
	local := j.from.Domain == j.to.Domain
	switch {
	case e.Step == 3 && e.Ref == j.msgID:
		owner := j.mailboxOf(e.To, j.to)
		j.stored = &owner
		if local {
			j.outcome <- outcome{mailbox: owner}
		}
	case e.Ref == j.msgID && strings.HasPrefix(e.Line, "relayed") && j.stored != nil:
		j.outcome <- outcome{mailbox: *j.stored}
	case e.Ref == j.msgID && strings.Contains(e.Line, "undeliverable"):
		j.bounced = true
	case e.Step == 3 && j.bounced && e.To == j.from.String()+"'s mailbox":
		j.bounced = false
		j.outcome <- outcome{bounced: true, mailbox: j.from}
	}
}

// show passes e to the caller's Sink, holding back later steps until the
// step-1 session is over.
func (j *journey) show(e trace.Event) {
	if j.opts.Sink == nil {
		return
	}
	if !j.submitted && e.Step > 1 {
		j.held = append(j.held, e)
		return
	}
	j.opts.Sink(e)
	if e.Step == 1 && e.Kind == trace.Reply && strings.HasPrefix(e.Line, "221") {
		j.release()
	}
}

// release ends the hold: step 1 is over (or never will be).
func (j *journey) release() {
	j.submitted = true
	for _, h := range j.held {
		j.opts.Sink(h)
	}
	j.held = nil
}

// mailboxOf reads the owner out of "bbb@sina.com's mailbox".
func (j *journey) mailboxOf(about string, fallback sandbox.Address) sandbox.Address {
	if a, err := sandbox.ParseAddress(strings.TrimSuffix(about, "'s mailbox")); err == nil {
		return a
	}
	return fallback
}

// session is a tapped client connection speaking a line protocol.
type session struct {
	conn *textproto.Conn
}

// dial connects to addr with a client-side tap publishing into the sandbox.
func (j *journey) dial(ctx context.Context, addr, proto, client, server string, step int) (*session, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		raw.SetDeadline(deadline)
	}
	tap := trace.NewTap(raw, trace.TapConfig{
		Side: trace.ClientSide, Proto: proto, Step: step,
		Client: client, Server: server, Sink: j.sb.Events.Publish,
	})
	return &session{conn: textproto.NewConn(tap)}, nil
}

// smtp sends a command (unless empty) and reads the whole reply.
func (s *session) smtp(expect int, format string, args ...any) (int, string, error) {
	if format != "" {
		if err := s.conn.PrintfLine(format, args...); err != nil {
			return 0, "", err
		}
	}
	code, msg, err := s.conn.ReadResponse(expect)
	var perr *textproto.Error
	if errors.As(err, &perr) {
		return code, fmt.Sprintf("%d %s", code, msg), nil // a refusal, not a failure of ours
	}
	return code, "", err
}

// submit runs step 1: the sender's client gives the message to its
// provider. It returns the refusing reply if the server said no.
func (j *journey) submit(ctx context.Context) (refused string, err error) {
	p, _ := j.sb.World().Provider(j.from.Domain)
	ports, _ := j.sb.Addrs(p.Domain)
	s, err := j.dial(ctx, ports.SMTP, "SMTP", j.from.String()+"'s client", p.SMTPHost, 1)
	if err != nil {
		return "", err
	}
	defer s.conn.Close()
	steps := []struct {
		expect int
		format string
		args   []any
	}{
		{220, "", nil},
		{250, "EHLO %s", []any{j.from.Local}},
		{334, "AUTH LOGIN", nil},
		{334, "%s", []any{b64(j.from.Local)}},
		{235, "%s", []any{b64(sandbox.DefaultPassword)}},
		{250, "MAIL FROM:<%s>", []any{j.from}},
		{250, "RCPT TO:<%s>", []any{j.to}},
		{354, "DATA", nil},
	}
	for _, st := range steps {
		_, refusal, err := s.smtp(st.expect, st.format, st.args...)
		if err != nil {
			return "", err
		}
		if refusal != "" {
			s.smtp(221, "QUIT")
			return refusal, nil
		}
	}
	if err := j.writeMessage(s); err != nil {
		return "", err
	}
	if _, refusal, err := s.smtp(250, ""); err != nil || refusal != "" {
		s.smtp(221, "QUIT")
		return refusal, err
	}
	_, _, err = s.smtp(221, "QUIT")
	return "", err
}

// writeMessage sends the headers, the blank line, the body and ".".
func (j *journey) writeMessage(s *session) error {
	w := s.conn.DotWriter()
	fmt.Fprintf(w, "From: <%s>\r\nTo: <%s>\r\n", j.from, j.to)
	fmt.Fprintf(w, "Subject: %s\r\n", headerText(j.opts.Subject))
	fmt.Fprintf(w, "Date: %s\r\nMessage-ID: %s\r\n", time.Now().Format(time.RFC1123Z), j.msgID)
	body := j.opts.Body
	if isASCII(body) {
		fmt.Fprintf(w, "\r\n%s\r\n", body)
	} else {
		fmt.Fprintf(w, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		fmt.Fprintf(w, "%s\r\n", wrap(b64(body), 76))
	}
	return w.Close()
}

// headerText is text for a header: as it is when ASCII, else RFC 2047
// encoded-words (B encoding, UTF-8).
func headerText(s string) string {
	if isASCII(s) {
		return s
	}
	if w, err := decode.EncodeWords(s, "UTF-8", false); err == nil {
		return w
	}
	return mime.BEncoding.Encode("UTF-8", s)
}

// retrieve runs steps 4 to 6 for the mailbox of owner.
func (j *journey) retrieve(ctx context.Context, owner sandbox.Address) ([]byte, error) {
	p, _ := j.sb.World().Provider(owner.Domain)
	ports, _ := j.sb.Addrs(p.Domain)
	s, err := j.dial(ctx, ports.POP3, "POP3", owner.String()+"'s client", p.POP3Host, 4)
	if err != nil {
		return nil, err
	}
	defer s.conn.Close()
	if _, err := s.pop3(""); err != nil {
		return nil, err
	}
	if _, err := s.pop3("USER %s", owner.Local); err != nil {
		return nil, err
	}
	if _, err := s.pop3("PASS %s", sandbox.DefaultPassword); err != nil {
		return nil, err
	}
	stat, err := s.pop3("STAT")
	if err != nil {
		return nil, err
	}
	var count, size int
	fmt.Sscanf(stat, "%d %d", &count, &size)
	if _, err := s.pop3("LIST"); err != nil {
		return nil, err
	}
	if _, err := s.conn.ReadDotLines(); err != nil {
		return nil, err
	}
	if _, err := s.pop3("RETR %d", count); err != nil {
		return nil, err
	}
	msg, err := s.conn.ReadDotBytes()
	if err != nil {
		return nil, err
	}
	if _, err := s.pop3("QUIT"); err != nil {
		return nil, err
	}
	return toCRLF(msg), nil
}

// pop3 sends a command (unless empty) and reads its status line; -ERR is
// an error.
func (s *session) pop3(format string, args ...any) (string, error) {
	if format != "" {
		if err := s.conn.PrintfLine(format, args...); err != nil {
			return "", err
		}
	}
	line, err := s.conn.ReadLine()
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "+OK") {
		return "", fmt.Errorf("server answered %q", line)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "+OK")), nil
}

// toCRLF restores the CRLF line ends textproto's dot reader turned into LF.
func toCRLF(b []byte) []byte {
	return []byte(strings.ReplaceAll(string(b), "\n", "\r\n"))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// wrap cuts s into lines of n characters.
func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// newMessageID makes a Message-ID as a mail program would.
func newMessageID(from sandbox.Address) string {
	return fmt.Sprintf("<%d.maillab@%s>", time.Now().UnixNano(), from.Domain)
}
