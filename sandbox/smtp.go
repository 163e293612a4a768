package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// Limits of the SMTP server (RFC 5321 section 4.5.3.1 gives the minimums).
const (
	maxCommandLine = 510       // octets of a command line, without CRLF (512 with it)
	maxAuthLine    = 12288     // octets of an AUTH answer (RFC 4954 section 4)
	maxDataLine    = 64 * 1024 // octets of one line of message content
	maxBadCommands = 10        // then 421 and close
	maxAuthFails   = 3         // then 421 and close
)

// smtpState is where an SMTP session is in its conversation.
type smtpState int

const (
	smtpGreeted   smtpState = iota // greeting sent, waiting for HELO or EHLO
	smtpReady                      // HELO/EHLO done, no transaction open
	smtpMail                       // MAIL FROM given, waiting for RCPT TO
	smtpRecipient                  // at least one RCPT TO accepted, DATA may follow
)

// smtpSession is one client's connection to a provider's SMTP server.
type smtpSession struct {
	sb   *Sandbox
	p    *Provider
	link *link
	in   *lineReader
	out  *textproto.Writer

	state    smtpState
	helo     string   // the name the client gave in HELO/EHLO
	esmtp    bool     // EHLO (not HELO) was used
	relay    bool     // the client is a provider's relay, proved (not only named in HELO)
	user     *Address // the logged-in account, nil before AUTH
	from     string   // reverse-path of the open transaction ("" for <>)
	rcpts    []Address
	queueID  string // the open transaction's id here
	journey  string // the message's journey: its first provider's queue id
	forward  string // the journey a trusted relay named with XFORWARD, for the next transaction
	badCmds  int
	badAuths int
	quit     bool
}

func (sb *Sandbox) newSMTPSession(p *Provider, l *link) *smtpSession {
	s := &smtpSession{sb: sb, p: p, link: l}
	s.attach()
	return s
}

// attach reads and writes through the link's connection (again, after
// STARTTLS).
func (s *smtpSession) attach() {
	s.in = newLineReader(s.link.conn, func() time.Duration { return s.link.seat.idleTimeout(s.sb.cfg.IdleTimeout, s.user != nil) }, &s.sb.closing)
	s.out = textproto.NewWriter(bufio.NewWriter(s.link.conn))
}

// serve runs the session until the client quits, the connection drops or
// the sandbox shuts down.
func (s *smtpSession) serve() {
	defer s.link.close()
	defer s.out.W.Flush() // a last reply held back for pipelined input goes out before the close
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "maillab: smtp session panic: %v\n", r)
			s.reply(smtp.Internal, s.p.SMTPHost())
		}
	}()
	s.reply(smtp.Greeting, s.p.SMTPHost())
	for !s.quit {
		line, err := s.in.readLine(maxCommandLine)
		if err != nil && !s.lineError(err) {
			return
		}
		if err == nil {
			s.handle(string(line))
		}
	}
}

// lineError answers a failed read and reports whether the session goes on.
func (s *smtpSession) lineError(err error) bool {
	switch {
	case errors.Is(err, errLineTooLong):
		s.reply(smtp.LineTooLong, maxCommandLine+2)
		return s.countBad()
	case s.sb.closing.Load():
		s.reply(smtp.Shutdown, s.p.SMTPHost())
	case isTimeout(err):
		s.reply(smtp.Idle, s.p.SMTPHost())
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// countBad counts a bad command and reports whether the session goes on.
func (s *smtpSession) countBad() bool {
	s.badCmds++
	if s.badCmds >= maxBadCommands {
		s.reply(smtp.TooManyErrors, s.p.SMTPHost())
		s.quit = true
		return false
	}
	return true
}

// reply sends one reply line. Arguments are cleaned of control characters,
// so nothing a client sent can inject a line into the reply.
func (s *smtpSession) reply(r smtp.Reply, args ...any) {
	s.replyLines(r, proto.Fill(r.Text, args...))
}

// replyLines sends a reply of one or more lines ("250-..." then "250 ...").
// The tap is told which reply it is: nothing reads it back from the text.
func (s *smtpSession) replyLines(r smtp.Reply, lines ...string) {
	s.link.replying(r.Key)
	for i, text := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		s.out.W.WriteString(r.Prefix(sep) + text + "\r\n")
	}
	s.flush(r)
}

// flush sends the replies written so far, unless more pipelined commands
// are already waiting (RFC 2920 section 3.2: their replies go out
// together, when the input runs dry). The reply before a TLS handshake
// or the end of the session goes at once.
func (s *smtpSession) flush(r smtp.Reply) {
	if s.in.r.Buffered() > 0 && r.Key != smtp.ReadyTLS.Key && !s.quit && r.Key != smtp.Bye.Key {
		return
	}
	s.out.W.Flush()
}

// handle runs one command line.
func (s *smtpSession) handle(line string) {
	verb, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(verb) {
	case "HELO":
		s.hello(arg, false)
	case "EHLO":
		s.hello(arg, true)
	case "AUTH":
		s.auth(arg)
	case "MAIL":
		s.mail(arg)
	case "RCPT":
		s.rcpt(arg)
	case "DATA":
		s.data(arg)
	case "RSET":
		s.reset()
		s.reply(smtp.Reset)
	case "NOOP":
		s.reply(smtp.OK)
	case "VRFY":
		if arg == "" {
			s.fail(smtp.BadArgs, "VRFY user")
			return
		}
		s.reply(smtp.Vrfy)
	case "STARTTLS":
		s.starttls(arg)
	case "XFORWARD":
		s.xforward(arg)
	case "EXPN", "TURN", "ETRN", "BDAT":
		s.reply(smtp.NotImpl, strings.ToUpper(verb))
	case "HELP":
		s.replyLines(smtp.Help, s.helpText()...)
	case "QUIT":
		s.reply(smtp.Bye, s.p.SMTPHost())
		s.quit = true
	default:
		s.reply(smtp.UnknownCmd, printable(verb, 20))
		s.countBad()
	}
}

// printable shortens s to at most n runes for an error reply.
func printable(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}

// reset ends any open mail transaction (RSET, and a new HELO/EHLO).
func (s *smtpSession) reset() {
	if s.state > smtpReady {
		s.state = smtpReady
	}
	s.from, s.rcpts, s.queueID, s.journey = "", nil, "", ""
}

// fail sends an error reply and counts it towards the bad-command limit.
func (s *smtpSession) fail(r smtp.Reply, args ...any) {
	s.reply(r, args...)
	s.countBad()
}

func (s *smtpSession) hello(name string, esmtp bool) {
	verb := "HELO"
	if esmtp {
		verb = "EHLO"
	}
	if name == "" || strings.ContainsAny(name, " \t") {
		s.fail(smtp.BadArgs, verb+" needs your name, e.g. "+verb+" me")
		return
	}
	s.reset()
	s.state, s.helo, s.esmtp = smtpReady, name, esmtp
	s.relay = s.sb.verifiedRelay(s.link, name)
	greets := proto.Fill(smtp.Hello.Text, s.p.SMTPHost(), name)
	if !esmtp {
		s.replyLines(smtp.Hello, greets)
		return
	}
	s.replyLines(smtp.Hello, s.extensions(greets)...)
}

// extensions are the lines of the EHLO reply: STARTTLS while the
// connection is plain and TLS is at hand, AUTH unless logins need TLS
// first (as real providers do).
func (s *smtpSession) extensions(greets string) []string {
	lines := []string{greets, "SIZE " + strconv.FormatInt(s.sb.cfg.MaxMessageSize, 10), "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES"}
	if s.sb.certs != nil && !s.link.secure {
		lines = append(lines, "STARTTLS")
	}
	if s.link.secure || !s.sb.cfg.RequireTLS {
		lines = append(lines, "AUTH LOGIN PLAIN")
	}
	if s.sb.ownRelay(s.link) {
		lines = append(lines, "XFORWARD IDENT")
	}
	return append(lines, "HELP")
}

// mail handles MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME].
func (s *smtpSession) mail(arg string) {
	switch {
	case s.state == smtpGreeted:
		s.fail(smtp.NeedHelo)
		return
	case s.state >= smtpMail:
		s.fail(smtp.SenderGiven)
		return
	}
	path, params, ok := cutPath(arg, "FROM:")
	if !ok {
		s.fail(smtp.BadArgs, "MAIL FROM:<address>")
		return
	}
	if path != "" {
		sender, err := ParseAddress(path)
		if err != nil {
			s.fail(smtp.BadSender, printable(path, 64))
			return
		}
		if s.user != nil && !s.sb.cfg.AllowSpoofing && s.sb.world.canonical(sender) != s.sb.world.canonical(*s.user) {
			s.fail(smtp.SenderNotOwned, sender.String(), s.user.String())
			return
		}
	}
	if !s.mailParams(params) {
		return
	}
	s.from, s.state = path, smtpMail
	s.beginJourney()
	s.reply(smtp.SenderOK, path)
}

// beginJourney names the transaction MAIL opened: a queue id of this
// server's, and the message's journey, which is that id unless a trusted
// relay said the message began its journey elsewhere. The tap learns the
// journey before the answer, so every line of the transaction carries it.
func (s *smtpSession) beginJourney() {
	s.queueID, s.journey = s.sb.newQueueID(), s.forward
	if s.journey == "" {
		s.journey = s.queueID
	}
	s.forward = ""
	s.link.setMessage(s.journey)
}

// mailParams checks MAIL's ESMTP parameters and answers when one is wrong.
func (s *smtpSession) mailParams(params []string) bool {
	for _, p := range params {
		key, value, _ := strings.Cut(p, "=")
		switch strings.ToUpper(key) {
		case "SIZE":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				s.fail(smtp.BadArgs, "SIZE=<octets>")
				return false
			}
			if n > s.sizeLimit() {
				s.fail(smtp.TooBig, s.sizeLimit())
				return false
			}
		case "BODY":
			if v := strings.ToUpper(value); v != "7BIT" && v != "8BITMIME" {
				s.fail(smtp.BadParam, printable(p, 40))
				return false
			}
		case "AUTH":
			// RFC 4954 section 5: accepted and not trusted.
		default:
			s.fail(smtp.BadParam, printable(p, 40))
			return false
		}
	}
	return true
}

// cutPath parses "FROM:<path> params" (or "TO:"), allowing a space after
// the colon and, leniently, a path without angle brackets.
func cutPath(arg, prefix string) (path string, params []string, ok bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, false
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return "", nil, false
		}
		path, rest = rest[1:end], rest[end+1:]
		if rest != "" && rest[0] != ' ' {
			return "", nil, false
		}
	} else {
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return "", nil, false
		}
		path, rest = fields[0], strings.Join(fields[1:], " ")
	}
	return stripSourceRoute(path), strings.Fields(rest), true
}

// stripSourceRoute drops an obsolete source route ("@a,@b:user@c").
func stripSourceRoute(path string) string {
	if strings.HasPrefix(path, "@") {
		if i := strings.IndexByte(path, ':'); i >= 0 {
			return path[i+1:]
		}
	}
	return path
}

// rcpt handles RCPT TO:<address>: local users are accepted from anyone,
// other sandbox domains only after AUTH, the rest of the world never.
func (s *smtpSession) rcpt(arg string) {
	if s.state < smtpMail {
		s.fail(smtp.NeedMail)
		return
	}
	path, params, ok := cutPath(arg, "TO:")
	if !ok || path == "" {
		s.fail(smtp.BadArgs, "RCPT TO:<address>")
		return
	}
	if len(params) > 0 {
		s.fail(smtp.BadParam, printable(params[0], 40))
		return
	}
	if strings.EqualFold(path, Postmaster) {
		path = Postmaster + "@" + s.p.Domain // RFC 5321 4.5.1: <Postmaster> alone is this server's
	}
	addr, err := ParseAddress(path)
	if err != nil {
		s.fail(smtp.BadRecipient, printable(path, 64))
		return
	}
	if s.given(addr) {
		s.reply(smtp.DuplicateRcpt, addr.String())
		return
	}
	if len(s.rcpts) >= s.sb.cfg.MaxRecipients {
		s.reply(smtp.TooManyRcpts, s.sb.cfg.MaxRecipients)
		return
	}
	r, args, ok := s.checkRecipient(addr)
	if !ok {
		s.fail(r, args...)
		return
	}
	s.rcpts, s.state = append(s.rcpts, addr), smtpRecipient
	s.reply(r, args...)
}

// given reports whether a recipient is already in the transaction: the
// same account (matched as logins are), or for other mailboxes the same
// local part at the same domain. Each gets one copy, however often it is
// named.
func (s *smtpSession) given(addr Address) bool {
	key := s.sb.world.canonical(addr)
	for _, r := range s.rcpts {
		if s.sb.world.canonical(r) == key {
			return true
		}
	}
	return false
}

// checkRecipient decides on one recipient and returns the reply to send.
func (s *smtpSession) checkRecipient(addr Address) (smtp.Reply, []any, bool) {
	owner, ok := s.sb.world.Provider(addr.Domain)
	switch {
	case !ok:
		return smtp.NotOurWorld, []any{addr.String(), s.sb.world.domainList()}, false
	case owner == s.p:
		_, user, known := s.sb.world.Account(addr)
		if fault, ok := s.sb.takeFault(addr); ok && known {
			return fault, []any{addr.String()}, false
		}
		switch {
		case !known:
			return smtp.NoSuchUser, []any{addr.String()}, false
		case s.sb.overQuota(Address{Local: user, Domain: s.p.Domain}, 0):
			return smtp.OverQuota, []any{addr.String(), s.sb.cfg.Quota}, false
		case user == Postmaster:
			return smtp.PostmasterOK, []any{addr.String()}, true
		}
		return smtp.RecipientOK, []any{addr.String()}, true
	case s.user == nil:
		return smtp.RelayDenied, []any{addr.String(), addr.Domain}, false
	default:
		return smtp.RelayOK, []any{addr.String(), owner.SMTPHost()}, true
	}
}

// domainList names the world's domains for a reply, e.g. "sohu.com and sina.com".
func (w *World) domainList() string {
	names := make([]string, len(w.Providers))
	for i, p := range w.Providers {
		names[i] = p.Domain
	}
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// data handles DATA: 354, the content up to ".", then delivery.
func (s *smtpSession) data(arg string) {
	switch {
	case arg != "":
		s.fail(smtp.BadArgs, "DATA takes no argument")
		return
	case s.state < smtpMail:
		s.fail(smtp.NeedMailData)
		return
	case s.state < smtpRecipient:
		s.fail(smtp.NeedRcpt)
		return
	}
	s.reply(smtp.StartData)
	content, failure, err := s.readContent()
	if err != nil {
		s.lineError(err)
		s.quit = true
		return
	}
	if failure != nil {
		s.reply(failure.reply, failure.arg)
		s.reset()
		return
	}
	s.accept(content)
	s.reset()
}

// relayHeadroom is what a relay hop may add to a message: the Received:
// headers of the hops before. A provider accepts that much over its limit
// from another provider, so that what one leg accepted, the next does too.
const relayHeadroom = 64 << 10

// sizeLimit is the largest message this session may send: the limit, and
// for a provider's relay (proved), the limit plus the headroom.
func (s *smtpSession) sizeLimit() int64 {
	if s.relay {
		return s.sb.cfg.MaxMessageSize + relayHeadroom
	}
	return s.sb.cfg.MaxMessageSize
}

// refusal is why a message read to its end is not accepted.
type refusal struct {
	reply smtp.Reply
	arg   any
}

// readContent reads message lines up to the "." line, undoing
// dot-stuffing and storing CRLF line ends. A message too big or with an
// overlong line is read to its end and refused (failure is set).
func (s *smtpSession) readContent() (content []byte, failure *refusal, err error) {
	var buf []byte
	limit := s.sizeLimit()
	for {
		line, err := s.in.readLine(maxDataLine)
		switch {
		case errors.Is(err, errLineTooLong):
			failure = &refusal{smtp.DataLine, maxDataLine}
			continue
		case err != nil:
			return nil, nil, err
		}
		if len(line) == 1 && line[0] == '.' {
			return buf, failure, nil
		}
		if len(line) > 0 && line[0] == '.' {
			line = line[1:] // dot-unstuffing (RFC 5321 section 4.5.2)
		}
		if failure != nil {
			continue
		}
		if int64(len(buf)+len(line)+2) > limit {
			failure, buf = &refusal{smtp.TooBig, limit}, nil
			continue
		}
		buf = append(buf, line...)
		buf = append(buf, '\r', '\n')
	}
}

// accept stamps the message and hands it to delivery: local mailboxes at
// once, other providers through the relay queue.
func (s *smtpSession) accept(content []byte) {
	id := s.queueID
	unproved := s.unprovedSender()
	msg := s.stamp(id, content, unproved)
	var local, remote []Address
	for _, r := range s.rcpts {
		if p, _ := s.sb.world.Provider(r.Domain); p == s.p {
			local = append(local, r)
		} else {
			remote = append(remote, r)
		}
	}
	for _, r := range local {
		if _, user, _ := s.sb.world.Account(r); s.sb.overQuota(Address{Local: user, Domain: s.p.Domain}, int64(len(msg))) {
			s.reply(smtp.MessageOverQuota, r.String(), s.sb.cfg.Quota)
			return
		}
	}
	if err := s.sb.deliverLocal(s.p, id, s.from, msg, local, Meta{Journey: s.journey}); err != nil {
		s.reply(smtp.StoreFailed, err.Error())
		return
	}
	if len(remote) > 0 {
		if err := s.sb.enqueue(s.p, &envelope{ID: id, Journey: s.journey, From: s.from, To: remote, Data: msg, Received: time.Now()}); err != nil {
			s.reply(smtp.StoreFailed, err.Error())
			return
		}
	}
	if unproved != "" {
		s.sb.emit(trace.Event{From: s.p.SMTPHost(), Action: trace.Unverified, Message: s.journey, Claimed: s.from,
			Facts: &trace.Facts{QueueID: id, Sender: s.from, Reason: unproved, Why: i18n.NewError(unproved)}})
	}
	s.reply(smtp.Queued, id)
}

// The ways a sender of the sandbox can go unproved.
var (
	unprovedNamed = i18n.N("not logged in, and not from the relay of the provider its HELO names")
	unprovedPlain = i18n.N("not logged in, and not from the sender's provider's relay")
)

// unprovedSender says why the message's sender, when it is an address of
// the sandbox's domains, is not proved: the session neither logged in nor
// is a provider's own relay. "" when it is proved, or is no address of
// the sandbox (the world outside proves nothing here either way).
func (s *smtpSession) unprovedSender() string {
	if s.user != nil || s.relay || s.from == "" {
		return ""
	}
	sender, err := ParseAddress(s.from)
	if err != nil {
		return ""
	}
	if _, ok := s.sb.world.Provider(sender.Domain); !ok {
		return ""
	}
	if s.sb.world.IsServerName(s.helo) {
		return unprovedNamed
	}
	return unprovedPlain
}

// stamp prepends this hop's Received: header and adds Date: and
// Message-ID: when the client left them out. The protocol names TLS and
// a login as RFC 3848 says (ESMTPS, ESMTPA, ESMTPSA); comments say who
// logged in, or that the sender is unproved, each on a folded line so
// that every line stays within RFC 5322's 78 characters.
func (s *smtpSession) stamp(id string, content []byte, unproved string) []byte {
	with := "SMTP"
	if s.esmtp {
		with = "ESMTP"
	}
	if s.link.secure {
		with += "S"
	}
	if s.user != nil {
		with += "A"
	}
	now := time.Now()
	host, _, _ := net.SplitHostPort(s.link.raw.RemoteAddr().String())
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s (%s [%s])\r\n", proto.Fill("%s", s.helo), host, host)
	if s.user != nil {
		fmt.Fprintf(&b, "\t(authenticated as %s)\r\n", s.user) // as real servers record it
	}
	if unproved != "" {
		fmt.Fprintf(&b, "\t(unverified sender: %s)\r\n", unproved)
	}
	fmt.Fprintf(&b, "\tby %s (maillab) with %s id %s\r\n\tfor <%s>; %s\r\n", s.p.SMTPHost(), with, id, s.rcpts[0], now.Format(time.RFC1123Z))
	received := b.String()
	extra := missingHeaders(content, now, id, s.p.SMTPHost())
	out := make([]byte, 0, len(received)+len(extra)+len(content))
	out = append(out, received...)
	out = append(out, extra...)
	return append(out, content...)
}

// helpText is the HELP reply: the commands this session may use (STARTTLS
// as EHLO offers it), and a session that sends mail.
func (s *smtpSession) helpText() []string {
	commands := "commands: HELO EHLO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT"
	if s.sb.certs == nil || s.link.secure {
		commands = strings.Replace(commands, " STARTTLS", "", 1)
	}
	return []string{commands, "send mail: EHLO me, AUTH LOGIN, MAIL FROM:<you@sohu.com>, RCPT TO:<them@sina.com>, DATA, QUIT"}
}
