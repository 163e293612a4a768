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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/client"
	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// Options describe the message to send.
type Options struct {
	From    string        // a sandbox account; default gacl@sohu.com
	To      string        // any address; default bbb@sina.com
	Subject string        // default "hello"
	Body    string        // default "hello gacl"
	Timeout time.Duration // for the journey (not for showing it); default 15s
	TLS     string        // "": plaintext; "starttls": STARTTLS and STLS on every hop; "implicit": SMTPS and POP3S for the mail programs (the relay between providers uses STARTTLS on port 25, as servers do)

	// Sink receives every Event, in order, in a goroutine of its own: it
	// may take its time (pace a class, wait for Enter). Run returns once
	// it has had them all, or when ctx is done.
	Sink trace.Sink
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
	Relayed   bool          // it crossed to another provider (step ②)
	Bounce    string        // why the next provider refused it, when Bounced
	Mailbox   string        // the mailbox the message (or the report) was fetched from
	Hops      int           // SMTP servers it passed (Received: headers)
	Octets    int           // size of the retrieved message
	Retrieved []byte        // the retrieved message (the bounce, when Bounced)
	Elapsed   time.Duration // from the first connection to the last QUIT
	Message   string        // the message's journey, as the servers named it ("" if refused)
}

// Check validates the options before anything starts: the sender must be
// an account of the world, the recipient an address, and nothing may hold
// a line break (which would add header lines to the message).
func Check(opts Options, w *sandbox.World) error {
	opts.setDefaults()
	for _, f := range []struct{ flag, value string }{{"--from", opts.From}, {"--to", opts.To}, {"--subject", opts.Subject}} {
		if strings.ContainsAny(f.value, "\r\n") {
			return i18n.Errorf("%s: must be one line (a line break would add header lines to the message)", f.flag)
		}
	}
	from, err := sandbox.ParseAddress(opts.From)
	if err != nil {
		return i18n.Errorf("--from: %w", err)
	}
	if _, err := sandbox.ParseAddress(opts.To); err != nil {
		return i18n.Errorf("--to: %w", err)
	}
	if _, _, ok := w.Account(from); !ok {
		return i18n.Errorf("--from %s: not a sandbox account (try %s)", from, accountList(w))
	}
	if opts.TLS != "" && opts.TLS != "starttls" && opts.TLS != "implicit" {
		return i18n.Errorf("--tls %s: choose starttls or implicit", opts.TLS)
	}
	return nil
}

// Run starts a sandbox on free loopback ports, sends one message through
// it and retrieves it, and stops the sandbox.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := Check(opts, sandbox.DefaultWorld()); err != nil {
		return nil, err
	}
	var err error
	cfg := sandbox.Config{RandomPorts: true, TapServers: true}
	if opts.TLS != "" {
		if cfg.Certs, err = certs.Open(""); err != nil { // a CA for this journey only
			return nil, err
		}
	}
	sb, err := sandbox.Start(cfg)
	if err != nil {
		return nil, err
	}
	defer sb.Close()
	// The sandbox closes before the transcript ends: the servers' last
	// words (a relay session closing after its QUIT) are in it.
	return on(ctx, sb, opts, func() { sb.Close() })
}

// On runs the six steps on a running sandbox (which must serve both
// providers of the journey).
func On(ctx context.Context, sb *sandbox.Sandbox, opts Options) (*Result, error) {
	return on(ctx, sb, opts, nil)
}

// on is On, calling settle (when not nil) after the journey and before
// the transcript ends.
func on(ctx context.Context, sb *sandbox.Sandbox, opts Options, settle func()) (*Result, error) {
	if err := Check(opts, sb.World()); err != nil {
		return nil, err
	}
	if opts.TLS != "" && sb.Certs() == nil {
		return nil, i18n.Errorf("--tls: this sandbox has no certificates")
	}
	if !sb.TapsServers() {
		return nil, i18n.Errorf("play follows the message by what the servers saw: the sandbox must record its servers' lines")
	}
	opts.setDefaults()
	from, _ := sandbox.ParseAddress(opts.From)
	to, _ := sandbox.ParseAddress(opts.To)
	j := &journey{sb: sb, opts: opts, from: from, to: to, msgID: newMessageID(from), outcome: make(chan outcome, 2)}
	j.submitter.Store("")
	j.retriever.Store("")
	j.fetched = make(chan struct{})
	if opts.Sink != nil {
		j.shown = trace.NewQueue("play", 1<<16, opts.Sink, nil)
		defer func() {
			if ctx.Err() == nil {
				j.shown.Close(-1) // the reader has every line before the summary
			} else {
				j.shown.Close(0)
			}
		}()
	}
	stop := sb.Events.Subscribe(j.watch)
	defer stop()
	journeyCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	res, err := j.run(journeyCtx)
	if settle != nil {
		settle()
	}
	return res, err
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
	shown    *trace.Queue // the caller's Sink, behind its own queue

	// submitter is the address of the submission's client (this end of
	// the connection): its session is the one whose MAIL names the journey.
	submitter atomic.Value
	retriever atomic.Value  // the same for the retrieval's client
	fetched   chan struct{} // closed when the server has ended the retrieval's session
	fetchOnce sync.Once

	// What the sandbox's events said so far (only watch touches these).
	journey   string                   // the message's journey, as the server named it
	stored    *sandbox.Address         // the mailbox the message reached
	relayed   bool                     // it was queued for another provider
	bounced   bool                     // reported undeliverable; its report is stored next
	why       string                   // the refusal that made it bounce
	submitted bool                     // the step-1 session has closed
	held      []trace.Event            // events of later steps that came during step 1
	unhopped  map[string][]trace.Event // an SMTP session's events before its HELO/EHLO told its hop
}

// outcome is how the message's trip ended, as the sandbox's events say.
type outcome struct {
	journey string // the message's journey id
	bounced bool
	relayed bool
	why     string          // the refusal that made it bounce
	mailbox sandbox.Address // where to fetch the result
}

func (j *journey) run(ctx context.Context) (*Result, error) {
	start := time.Now()
	res := &Result{}
	refused, err := j.submit(ctx)
	if err != nil {
		return nil, i18n.Errorf("step 1, sending to %s: %w", j.from.Domain, err)
	}
	if refused != "" {
		res.Refused, res.Elapsed = refused, time.Since(start)
		return res, nil
	}
	var out outcome
	select {
	case out = <-j.outcome:
	case <-ctx.Done():
		return nil, i18n.Errorf("waiting for delivery to %s: %w", j.to, ctx.Err())
	}
	msg, err := j.retrieve(ctx, out.mailbox)
	if err != nil {
		return nil, i18n.Errorf("step 4, retrieving from %s: %w", out.mailbox.Domain, err)
	}
	select { // the server's last word on the session, so the transcript is whole
	case <-j.fetched:
	case <-ctx.Done():
	}
	res.Delivered, res.Bounced, res.Mailbox = !out.bounced, out.bounced, out.mailbox.String()
	res.Relayed, res.Bounce, res.Message = out.relayed, out.why, out.journey
	res.Retrieved, res.Octets = msg, len(msg)
	res.Hops = strings.Count("\r\n"+string(msg), "\r\nReceived: ") // each hop prepended one
	res.Elapsed = time.Since(start)
	return res, nil
}

// watch passes every Event on and follows the message by what the
// servers saw: the journey its MAIL began (on the submission's session),
// then the sandbox's actions on that journey: stored, relayed, bounced. A
// bounce is a journey of its own, named after this one (bounce_of); its
// report stored in the sender's mailbox is what the client then fetches.
func (j *journey) watch(e trace.Event) {
	j.show(e)
	if e.Action == trace.Closed && e.Proto == trace.POP3 && e.Client() == j.retriever.Load().(string) {
		j.fetchOnce.Do(func() { close(j.fetched) })
	}
	if j.journey == "" {
		if e.Reply == smtp.SenderOK.Key && e.Client() == j.submitter.Load().(string) {
			j.journey = e.Message
		}
		return
	}
	if e.Kind != trace.Internal || e.Facts == nil {
		return
	}
	ours := e.Message == j.journey
	switch {
	case e.Action == trace.Stored && ours:
		owner, _ := sandbox.ParseAddress(e.Facts.Mailbox)
		j.stored = &owner
		if j.from.Domain == j.to.Domain {
			j.outcome <- outcome{journey: j.journey, mailbox: owner}
		}
	case e.Action == trace.Queued && ours:
		j.relayed = true
	case e.Action == trace.Relayed && ours && j.stored != nil:
		j.outcome <- outcome{journey: j.journey, relayed: true, mailbox: *j.stored}
	case e.Action == trace.Bounced && ours:
		j.bounced, j.why = true, e.Facts.Reason
	case e.Action == trace.Stored && j.bounced && e.BounceOf == j.journey:
		j.bounced = false
		owner, _ := sandbox.ParseAddress(e.Facts.Mailbox)
		j.outcome <- outcome{journey: j.journey, bounced: true, relayed: j.relayed, why: j.why, mailbox: owner}
	}
}

// show passes e to the caller's Sink. An SMTP session's first events (the
// greeting, an implicit TLS handshake) come before HELO/EHLO tells which
// hop, so which step, the session is: they wait for it, and take the
// session's hop. The relay starts while the sender's client is still
// saying goodbye; events of later steps that come meanwhile are held
// back until step 1's connection has closed, so that the transcript reads
// one step after another.
//
// The verdict on play's own client is left out when it finds nothing
// wrong: the journey is the subject, and maillab's client is careful (a
// finding would be a bug of maillab's, and shows).
func (j *journey) show(e trace.Event) {
	if j.shown == nil || e.Action == trace.Verdict && e.Facts != nil && len(e.Facts.Findings) == 0 {
		return
	}
	if e.Proto == trace.SMTP && e.Hop == "" && e.Action != trace.Closed {
		if j.unhopped == nil {
			j.unhopped = map[string][]trace.Event{}
		}
		if len(j.unhopped[e.Session]) < 16 {
			j.unhopped[e.Session] = append(j.unhopped[e.Session], e)
		}
		return
	}
	if early, ok := j.unhopped[e.Session]; ok && e.Proto == trace.SMTP {
		delete(j.unhopped, e.Session)
		for _, x := range early {
			x.Hop = e.Hop
			j.inOrder(x)
		}
	}
	j.inOrder(e)
}

// inOrder passes e on, holding back events of later steps during step 1.
func (j *journey) inOrder(e trace.Event) {
	step := trace.StepOf(e)
	if !j.submitted && step > 1 {
		j.held = append(j.held, e)
		return
	}
	j.shown.Offer(e)
	if step == 1 && e.Action == trace.Closed {
		j.submitted = true
		for _, h := range j.held {
			j.shown.Offer(h)
		}
		j.held = nil
	}
}

// dial opens a client session; its lines are recorded by the servers'
// taps, which say what they saw.
func (j *journey) dial(ctx context.Context, name proto.Name, p *sandbox.Provider) (*client.Session, error) {
	mode := sandbox.PlainText
	if j.opts.TLS == "implicit" {
		mode = sandbox.ImplicitTLS
	}
	addr, ok := j.sb.AddrTLS(p.Domain, name, mode)
	if !ok {
		return nil, i18n.Errorf("%s is not served here", p.Host(name))
	}
	cfg := client.Config{
		Proto: string(name), Addr: addr, Client: "play", Server: p.Host(name),
		Timeout: j.opts.Timeout, Implicit: mode == sandbox.ImplicitTLS,
	}
	if j.opts.TLS != "" {
		cfg.TLS = &client.TLS{Config: j.sb.Certs().ClientConfig(p.Host(name))}
	}
	s, _, err := client.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, s.Abort)
	return s, nil
}

// expect sends a line and checks the answer's code; any other answer is
// the refusal it returns.
func expect(s *client.Session, line, code string) (refusal string, err error) {
	answer, err := s.Send(line)
	if err != nil {
		return "", err
	}
	if last := answer[len(answer)-1]; !strings.HasPrefix(last, code) {
		return last, nil
	}
	return "", nil
}

// submit runs step 1: the sender's client gives the message to its
// provider. It returns the refusing reply if the server said no.
func (j *journey) submit(ctx context.Context) (refused string, err error) {
	p, _ := j.sb.World().Provider(j.from.Domain)
	s, err := j.dial(ctx, proto.SMTP, p)
	if err != nil {
		return "", err
	}
	defer s.Close()
	j.submitter.Store(s.LocalAddr().String())
	password, _ := j.sb.World().Password(j.from)
	hello := "EHLO " + smtp.AddressLiteral(s.LocalAddr())
	steps := []struct{ line, code string }{{hello, "250"}}
	if j.opts.TLS == "starttls" {
		steps = append(steps, struct{ line, code string }{"STARTTLS", "220"}, struct{ line, code string }{hello, "250"})
	}
	steps = append(steps, []struct{ line, code string }{
		{"AUTH LOGIN", "334"},
		{b64(j.from.Local), "334"},
		{b64(password), "235"},
		{"MAIL FROM:<" + j.from.String() + ">", "250"},
		{"RCPT TO:<" + j.to.String() + ">", "250"},
		{"DATA", "354"},
	}...)
	for _, st := range steps {
		if refused, err = expect(s, st.line, st.code); refused != "" || err != nil {
			break
		}
	}
	if refused == "" && err == nil {
		refused, err = j.writeMessage(s)
	}
	if err != nil {
		return "", err
	}
	if _, err := s.Send("QUIT"); err != nil && !errors.Is(err, client.ErrClosed) {
		return "", err
	}
	return refused, nil
}

// writeMessage sends the headers, the blank line, the body (dot-stuffed)
// and "."; it returns the refusal if the server did not say 250.
func (j *journey) writeMessage(s *client.Session) (string, error) {
	lines := []string{
		"From: <" + j.from.String() + ">",
		"To: <" + j.to.String() + ">",
		"Subject: " + headerText(j.opts.Subject),
		"Date: " + time.Now().Format(time.RFC1123Z),
		"Message-ID: " + j.msgID,
	}
	body := strings.Split(strings.ReplaceAll(j.opts.Body, "\r\n", "\n"), "\n")
	if !isASCII(j.opts.Body) {
		lines = append(lines, "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64")
		body = wrap(b64(j.opts.Body), 76)
	}
	lines = append(lines, "")
	for _, l := range body {
		if strings.HasPrefix(l, ".") {
			l = "." + l // dot-stuffing (RFC 5321 section 4.5.2)
		}
		lines = append(lines, l)
	}
	for _, l := range lines {
		if _, err := s.Send(l); err != nil {
			return "", err
		}
	}
	return expect(s, ".", "250")
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

// retrieve runs steps 4 to 6 for the mailbox of owner: log in, look, fetch
// the newest message, say goodbye.
func (j *journey) retrieve(ctx context.Context, owner sandbox.Address) ([]byte, error) {
	p, _ := j.sb.World().Provider(owner.Domain)
	s, err := j.dial(ctx, proto.POP3, p)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	j.retriever.Store(s.LocalAddr().String())
	password, _ := j.sb.World().Password(owner)
	lines := []string{"USER " + owner.Local, "PASS " + password, "STAT", "LIST"}
	if j.opts.TLS == "starttls" {
		if refused, err := expect(s, "STLS", "+OK"); err != nil || refused != "" {
			return nil, i18n.Errorf("STLS: %q %v", refused, err)
		}
	}
	var answers [][]string
	for _, line := range lines {
		answer, err := s.Send(line)
		if err != nil {
			return nil, err
		}
		if client.IsError(answer) {
			return nil, i18n.Errorf("%s: the server answered %q", proto.Verb(line), answer[0])
		}
		answers = append(answers, answer)
	}
	count, _ := strconv.Atoi(strings.Fields(answers[2][0] + " 0 0")[1])
	msg, err := s.Send("RETR " + strconv.Itoa(count))
	if err != nil {
		return nil, err
	}
	if client.IsError(msg) {
		return nil, i18n.Errorf("RETR: the server answered %q", msg[0])
	}
	if _, err := s.Send("QUIT"); err != nil && !errors.Is(err, client.ErrClosed) {
		return nil, err
	}
	return client.Content(msg), nil
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
func wrap(s string, n int) []string {
	var lines []string
	for len(s) > n {
		lines = append(lines, s[:n])
		s = s[n:]
	}
	return append(lines, s)
}

// newMessageID makes a Message-ID as a mail program would.
func newMessageID(from sandbox.Address) string {
	return fmt.Sprintf("<%d.maillab@%s>", time.Now().UnixNano(), from.Domain)
}
