// Package smtp is SMTP as maillab follows it: the catalogue of the
// replies its server sends (RFC 5321 section 4.2, with RFC 3463 enhanced
// status codes) and a Follower that marks every line of a conversation,
// whoever the server (RFC 5321, AUTH of RFC 4954, STARTTLS of RFC 3207,
// PIPELINING of RFC 2920).
package smtp

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"maillab/trace/proto"
)

// Limits of what a Follower remembers, so that a hostile session costs
// little: at most maxPending lines wait for their answers; a command line
// longer than maxCommand octets (with its line end) is no command (RFC
// 5321 4.5.3.1.4: 512).
const (
	maxPending = 1000
	maxCommand = 512
)

// State is where an SMTP conversation stands, as the server's answers
// show it: what a prompt says and a lesson checks.
type State struct {
	Greeted       bool
	Helo          bool   // HELO or EHLO was accepted
	ESMTP         bool   // it was EHLO
	AuthStage     string // "username", "password" or "plain" while a login challenge waits for its answer
	Authenticated bool
	Account       string // the name the accepted login gave
	Sender        bool   // MAIL FROM accepted: a transaction is open
	Recipients    int    // RCPT TO accepted in this transaction
	InData        bool   // between DATA's 354 and the "." line
	Sent          int    // messages accepted (250 after ".")
	Closed        bool   // the server said goodbye (221) or gave up (421)
}

// Follower follows one SMTP conversation. The zero value is not ready:
// use NewFollower.
type Follower struct {
	cfg proto.Config
	st  State

	spoke     bool      // the server has said something: its first line is the greeting
	pending   []pending // client lines waiting for their answer, oldest first
	answering pending   // the line the answer in progress answers
	key       proto.Key // which reply the answer in progress is
	inReply   bool      // continuation lines ("250-...") follow

	authAnswers int    // answers to login challenges still to come
	authMech    string // the login exchange's mechanism, upper case
	authUser    string // the user name the login exchange gave, decoded
	afterFailed bool   // a login went wrong: lines until the next answer may hold the password

	awaitingData bool           // DATA was sent, its answer not seen: clients such as nc send the message at once
	content      *proto.Message // the message being sent
	message      string         // the open transaction's journey
}

// pending is a client line waiting for its answer.
type pending struct {
	greeting bool   // the server's first line, which answers nothing
	secret   bool   // the line held a secret
	line     string // "" for a line holding a secret
	verb     string // its verb, "." for the end of a message, "" for an answer to a challenge
	auth     bool   // a line of a login exchange
	message  string // the journey it belongs to, if any
}

// NewFollower returns a Follower at the start of a conversation.
func NewFollower(cfg proto.Config) *Follower {
	return &Follower{cfg: cfg}
}

// State returns where the conversation stands.
func (f *Follower) State() State { return f.st }

// Restart forgets the conversation when TLS starts (RFC 3207 4.2): no
// HELO, no login, no transaction; what was sent stays counted.
func (f *Follower) Restart() {
	sent := f.st.Sent
	*f = Follower{cfg: f.cfg, spoke: true}
	f.st = State{Greeted: true, Sent: sent}
}

// SetMessage names the journey of the transaction just begun: the
// server says so before it answers MAIL, so the answer carries it, and
// every line of the transaction after it.
func (f *Follower) SetMessage(id string) {
	f.message = id
	for i := range f.pending {
		if f.pending[i].verb == "MAIL" && f.pending[i].message == "" {
			f.pending[i].message = id
			break
		}
	}
}

// SetMailbox does nothing: SMTP names no stored messages.
func (f *Follower) SetMailbox(string, []string) {}

// Client marks a line the client sent.
func (f *Follower) Client(line string, octets int) proto.Mark {
	switch {
	case f.st.InData || f.awaitingData:
		return f.dataLine(line)
	case f.authAnswers > 0:
		return f.challengeAnswer(line)
	}
	return f.command(line, octets, f.afterFailed)
}

// dataLine marks a line of the message, or the "." that ends it.
func (f *Follower) dataLine(line string) proto.Mark {
	m := proto.Mark{Kind: proto.Data, Message: f.message}
	if line == "." {
		f.st.InData, f.awaitingData, f.content = false, false, nil
		f.expect(pending{line: ".", verb: ".", message: f.message})
		return m
	}
	if f.content == nil {
		f.content = &proto.Message{}
	}
	m.Content = f.content.Line(line)
	return m
}

// challengeAnswer marks an answer to a login challenge: a secret, with
// the user name it gives (or gave) decoded.
func (f *Follower) challengeAnswer(line string) proto.Mark {
	username := f.authMech == "LOGIN" && f.authAnswers == 2 // LOGIN's first answer; its second is the password
	f.authAnswers--
	switch {
	case f.authUser != "":
	case f.authMech == "PLAIN":
		f.authUser = plainUser(line)
	case username:
		f.authUser, _ = base64Text(line)
	}
	f.expect(pending{auth: true, secret: true, message: f.message})
	return proto.Mark{Kind: proto.Command, Challenge: true, Secret: true, Claimed: f.authUser}
}

// command marks a command line and notes what it begins. A line typed
// right after a login went wrong may be the password: it is a secret.
func (f *Follower) command(line string, octets int, secret bool) proto.Mark {
	verb := proto.Verb(line)
	if octets > maxCommand {
		verb = ""
	}
	if !knownVerbs[verb] { // no command: maybe a password typed where a command goes
		verb, secret = "", true
	}
	m := proto.Mark{Kind: proto.Command, Verb: verb, Secret: secret}
	if secret {
		m.Claimed = f.authUser
	}
	p := pending{line: line, verb: verb}
	switch verb {
	case "AUTH":
		m.Secret = f.beginAuth(proto.Arg(line)) || secret
		m.Claimed, p.auth = f.authUser, true
	case "MAIL":
		if f.message == "" && f.cfg.NewMessage != nil {
			f.message = f.cfg.NewMessage()
		}
		m.Message, p.message = f.message, f.message
	case "RCPT", "RSET":
		m.Message, p.message = f.message, f.message
	case "DATA":
		m.Message, p.message = f.message, f.message
		if strings.TrimSpace(line) == line && len(line) == 4 {
			f.awaitingData, f.content = true, nil
		}
	}
	if m.Secret {
		p.line, p.secret = "", true
	}
	f.expect(p)
	return m
}

// knownVerbs are the commands of SMTP and its extensions maillab knows
// (RFC 5321, 3207, 4954, 3030, 1985; Postfix's XFORWARD and XCLIENT).
var knownVerbs = map[string]bool{"HELO": true, "EHLO": true, "MAIL": true, "RCPT": true, "DATA": true, "RSET": true, "NOOP": true,
	"QUIT": true, "VRFY": true, "EXPN": true, "HELP": true, "AUTH": true, "STARTTLS": true, "BDAT": true, "TURN": true, "ETRN": true,
	"XFORWARD": true, "XCLIENT": true}

// beginAuth starts a login exchange: how many answers to challenges
// follow, and the user name an initial response gives. It reports
// whether the AUTH line itself carries a secret (an initial response).
func (f *Follower) beginAuth(arg string) bool {
	mech, initial, _ := strings.Cut(arg, " ")
	initial = strings.TrimSpace(initial)
	f.authUser, f.st.AuthStage, f.authMech = "", "", strings.ToUpper(mech)
	switch f.authMech {
	case "LOGIN":
		f.authAnswers = 2
		if initial != "" {
			f.authAnswers = 1
			f.authUser, _ = base64Text(initial)
		}
	case "PLAIN":
		f.authAnswers = 1
		if initial != "" {
			f.authAnswers = 0
			f.authUser = plainUser(initial)
		}
	default:
		f.authAnswers = 0 // an unknown mechanism: a 334 will say an answer follows
	}
	return initial != ""
}

// expect queues a line for the answer that will come.
func (f *Follower) expect(p pending) {
	if len(f.pending) < maxPending {
		f.pending = append(f.pending, p)
	}
}

// next takes the oldest line waiting for an answer; the server's first
// line is the greeting, which answers none (even when a client such as nc
// has sent commands before it came).
func (f *Follower) next() pending {
	if !f.spoke {
		f.spoke = true
		return pending{greeting: true}
	}
	if len(f.pending) == 0 {
		return pending{} // said unasked: a 421, say
	}
	p := f.pending[0]
	f.pending = f.pending[1:]
	if len(f.pending) == 0 {
		f.pending = nil // let a long pipeline's array go
	}
	return p
}

// Server marks a line the server sent.
func (f *Follower) Server(line string, octets int, key proto.Key) proto.Mark {
	if !f.inReply {
		f.answering = f.next()
		f.key = key
		if f.key == "" {
			f.key = Identify(line)
		}
	}
	final := len(line) < 4 || line[3] != '-'
	f.inReply = !final
	m := proto.Mark{Kind: proto.Reply, Verb: f.answering.verb, Answers: f.answering.line, Reply: f.key, Status: Status(line), Final: final,
		Message: f.answering.message, Claimed: claimedOf(f.answering, f.authUser)}
	// An error answering a line that held a secret may quote it (500
	// "command not recognized: 123456"): it is a secret too.
	m.Secret = f.answering.secret && (strings.HasPrefix(m.Status, "4") || strings.HasPrefix(m.Status, "5"))
	f.afterFailed = false
	if final {
		f.answered(&m, line)
	}
	m.LoggedIn = f.st.Authenticated
	return m
}

// claimedOf is the login name an answer is about, for a line of a login
// exchange.
func claimedOf(p pending, user string) string {
	if p.auth {
		return user
	}
	return ""
}

// answered updates the conversation from a whole answer, and marks it.
func (f *Follower) answered(m *proto.Mark, line string) {
	code := m.Status
	ok := strings.HasPrefix(code, "2")
	switch {
	case code == "421" || code == "221":
		f.st.Closed = true
		f.endTransaction(m)
	case f.answering.greeting:
		f.st.Greeted = code == "220"
	case f.answering.auth:
		f.authAnswered(m, code, line)
	}
	switch f.answering.verb {
	case "EHLO", "HELO":
		if ok {
			f.st.Helo, f.st.ESMTP = true, f.answering.verb == "EHLO"
			f.endTransaction(m)
		}
	case "MAIL":
		if ok {
			f.st.Sender, f.st.Recipients = true, 0
			m.Sender = path(proto.Arg(f.answering.line), "FROM:")
		} else if !f.st.Sender {
			f.endTransaction(m)
		}
	case "RCPT":
		if ok {
			f.st.Recipients++
			m.Recipient = path(proto.Arg(f.answering.line), "TO:")
		}
	case "DATA":
		f.awaitingData = false
		f.st.InData = code == "354"
		if !f.st.InData {
			f.content = nil
		}
	case ".":
		if ok {
			f.st.Sent++
		}
		f.endTransaction(m)
	case "RSET":
		if ok {
			f.endTransaction(m)
		}
	case "STARTTLS":
		m.TLSNext = code == "220"
	}
}

// authAnswered follows a login exchange: 334 asks for more, 235 ends it
// well, anything else ends it badly.
func (f *Follower) authAnswered(m *proto.Mark, code, line string) {
	switch code {
	case "334":
		f.st.AuthStage = challengeStage(line)
		if f.authAnswers == 0 {
			f.authAnswers = 1 // an exchange the AUTH line did not announce (another mechanism)
		}
	case "235":
		f.st.AuthStage, f.authAnswers = "", 0
		f.st.Authenticated, f.st.Account = true, f.authUser
		m.Login = proto.LoginOK
	default:
		f.st.AuthStage, f.authAnswers = "", 0
		f.afterFailed = true
		m.Login = proto.LoginFailed
	}
}

// endTransaction closes the open transaction: the line marked is its last.
func (f *Follower) endTransaction(m *proto.Mark) {
	if f.message != "" || f.st.Sender {
		m.Ends = m.Message != ""
	}
	f.message, f.st.Sender, f.st.Recipients = "", false, 0
	f.st.InData, f.awaitingData, f.content = false, false, nil
}

// challengeStage names what a 334 challenge asks for.
func challengeStage(line string) string {
	text := strings.TrimSpace(line[min(len(line), 4):])
	if text == "" {
		return "plain"
	}
	s, _ := base64Text(text)
	switch strings.ToLower(s) {
	case "username:":
		return "username"
	case "password:":
		return "password"
	}
	return "plain"
}

// Status is a reply line's three-digit code, or "" when it has none.
func Status(line string) string {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' {
		return ""
	}
	return line[:3]
}

// path is the address of "FROM:<a@b> params" or "TO:<a@b>" ("<>" for the
// null reverse-path), as the client wrote it.
func path(arg, prefix string) string {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return ""
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return ""
		}
		if end == 1 {
			return "<>"
		}
		return rest[1:end]
	}
	p, _, _ := strings.Cut(rest, " ")
	return p
}

// base64Text decodes s and returns it when it is printable text.
func base64Text(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return "", false
		}
	}
	if !utf8.Valid(b) {
		return "", false
	}
	for _, r := range string(b) {
		if r < ' ' && r != '\t' && r != 0 {
			return "", false
		}
	}
	return string(b), true
}

// plainUser is the user name in an AUTH PLAIN blob, or "".
func plainUser(b64 string) string {
	s, ok := base64Text(b64)
	if !ok {
		return ""
	}
	f := strings.Split(s, "\x00")
	if len(f) != 3 {
		return ""
	}
	return f[1]
}
