// Package pop3 is POP3 as maillab follows it: the catalogue of the status
// lines its server sends (RFC 1939, with RFC 2449 response codes) and a
// Follower that marks every line of a conversation, whoever the server
// (RFC 1939, CAPA and PIPELINING of RFC 2449, STLS of RFC 2595, AUTH of
// RFC 5034).
package pop3

import (
	"strconv"
	"strings"

	"maillab/trace/proto"
)

// maxPending bounds the lines waiting for their answers.
const maxPending = 1000

// State is where a POP3 conversation stands.
type State struct {
	Greeted   bool
	UserGiven bool   // USER was accepted; PASS is next
	LoggedIn  bool   // the TRANSACTION state
	Account   string // the name the accepted login gave
	Closed    bool   // QUIT was answered, or the server gave up
}

// Follower follows one POP3 conversation. Use NewFollower.
type Follower struct {
	cfg proto.Config
	st  State

	spoke     bool
	pending   []pending
	answering pending
	key       proto.Key
	inMulti   bool           // the lines of a multi-line answer follow, up to "."
	content   *proto.Message // the message a RETR or TOP answer holds

	user        string   // the name USER gave, or AUTH's
	saslAnswers bool     // AUTH's exchange is on: client lines answer "+ " challenges
	owner       string   // the mailbox logged in to, as the server says
	journeys    []string // its messages' journeys, message n's at n-1
}

type pending struct {
	greeting bool
	secret   bool
	echoed   bool   // the answer may repeat the secret (a password typed into USER): hidden whatever it says
	line     string // "" for a line holding a secret
	verb     string
	message  string // the journey of the message the command names
}

// NewFollower returns a Follower at the start of a conversation.
func NewFollower(cfg proto.Config) *Follower { return &Follower{cfg: cfg} }

// State returns where the conversation stands.
func (f *Follower) State() State { return f.st }

// Restart forgets the conversation when TLS starts (RFC 2595 4): the login
// starts over.
func (f *Follower) Restart() {
	*f = Follower{cfg: f.cfg, spoke: true}
	f.st.Greeted = true
}

// SetMessage does nothing: POP3 sends no messages.
func (f *Follower) SetMessage(string) {}

// SetMailbox hands over the journeys of the mailbox's messages.
func (f *Follower) SetMailbox(owner string, journeys []string) {
	f.owner, f.journeys = owner, journeys
}

// Client marks a line the client sent.
func (f *Follower) Client(line string, octets int) proto.Mark {
	if f.saslAnswers {
		f.expect(pending{secret: true})
		return proto.Mark{Kind: proto.Command, Challenge: true, Secret: true, Claimed: f.user, LoggedIn: f.st.LoggedIn}
	}
	verb := proto.Verb(line)
	m := proto.Mark{Kind: proto.Command, Verb: verb, LoggedIn: f.st.LoggedIn}
	p := pending{line: line, verb: verb}
	switch verb {
	case "USER":
		name, more, _ := strings.Cut(proto.Arg(line), " ")
		f.user, m.Claimed = name, name
		if more != "" { // "USER s02 484054": a password typed after the name
			m.Secret, p.line, p.secret, p.echoed = true, "", true, true
		}
	case "PASS":
		m.Secret, m.Claimed, p.line, p.secret = true, f.user, "", true
	case "AUTH":
		_, initial, _ := strings.Cut(proto.Arg(line), " ")
		f.saslAnswers = true
		if initial != "" {
			m.Secret, p.line, p.secret = true, "", true
		}
	case "RETR", "TOP", "LIST", "UIDL", "DELE":
		m.Message, m.Recipient = f.messageOf(proto.Arg(line))
		p.message = m.Message
	default:
		if !knownVerbs[verb] { // no command: maybe a password typed where a command goes
			m.Verb, m.Secret, p.verb, p.line, p.secret, p.echoed = "", true, "", "", true, true
		}
	}
	f.expect(p)
	return m
}

// knownVerbs are the commands of POP3 (RFC 1939, 2449, 2595, 5034).
var knownVerbs = map[string]bool{"USER": true, "PASS": true, "APOP": true, "STAT": true, "LIST": true, "RETR": true, "DELE": true,
	"NOOP": true, "RSET": true, "QUIT": true, "TOP": true, "UIDL": true, "CAPA": true, "STLS": true, "AUTH": true}

// messageOf is the journey of the message a command's argument names,
// and whose mailbox it is in.
func (f *Follower) messageOf(arg string) (journey, owner string) {
	num, _, _ := strings.Cut(arg, " ")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > len(f.journeys) || f.journeys[n-1] == "" {
		return "", ""
	}
	return f.journeys[n-1], f.owner
}

func (f *Follower) expect(p pending) {
	if len(f.pending) < maxPending {
		f.pending = append(f.pending, p)
	}
}

func (f *Follower) next() pending {
	if !f.spoke {
		f.spoke = true
		return pending{greeting: true}
	}
	if len(f.pending) == 0 {
		return pending{}
	}
	p := f.pending[0]
	f.pending = f.pending[1:]
	if len(f.pending) == 0 {
		f.pending = nil
	}
	return p
}

// Server marks a line the server sent: a status line, or a line of a
// multi-line answer.
func (f *Follower) Server(line string, octets int, key proto.Key) proto.Mark {
	if f.inMulti {
		return f.multiLine(line)
	}
	f.answering = f.next()
	f.key = key
	if f.key == "" {
		cmd := f.answering.line
		if cmd == "" {
			cmd = f.answering.verb // a secret line: its verb tells the answers apart
		}
		f.key = Identify(line, cmd)
	}
	status := Status(line)
	m := proto.Mark{Kind: proto.Reply, Verb: f.answering.verb, Answers: f.answering.line, Reply: f.key, Status: status,
		Message: f.answering.message, Secret: f.answering.secret && (status == "-ERR" || f.answering.echoed)}
	if m.Message != "" {
		m.Recipient = f.owner
	}
	if status == "+OK" && MultiLine(f.answering.line) {
		f.inMulti, f.content = true, nil
	} else {
		m.Final = true
	}
	f.answered(&m, line, status)
	m.LoggedIn = f.st.LoggedIn
	return m
}

// multiLine marks a line of a multi-line answer, or the "." that ends it.
func (f *Follower) multiLine(line string) proto.Mark {
	m := proto.Mark{Kind: proto.Data, Verb: f.answering.verb, Answers: f.answering.line, Message: f.answering.message, LoggedIn: f.st.LoggedIn}
	if m.Message != "" {
		m.Recipient = f.owner
	}
	if line == "." {
		f.inMulti, f.content, m.Final = false, nil, true
		return m
	}
	if f.answering.verb == "RETR" || f.answering.verb == "TOP" {
		if f.content == nil {
			f.content = &proto.Message{}
		}
		m.Content = f.content.Line(line)
	}
	return m
}

// answered updates the conversation from a status line.
func (f *Follower) answered(m *proto.Mark, line, status string) {
	ok := status == "+OK"
	if f.answering.greeting {
		f.st.Greeted = ok
		return
	}
	if f.saslAnswers && strings.HasPrefix(line, "+ ") {
		return // a challenge: the next client line answers it
	}
	switch f.answering.verb {
	case "USER":
		f.st.UserGiven = ok
	case "PASS", "AUTH", "APOP":
		f.saslAnswers, f.st.UserGiven = false, false
		m.Claimed = f.user
		if ok {
			f.st.LoggedIn, f.st.Account, m.Login = true, f.user, proto.LoginOK
		} else if f.answering.verb != "AUTH" || f.user != "" {
			m.Login = proto.LoginFailed
		}
	case "QUIT":
		f.st.Closed = ok
	case "STLS":
		m.TLSNext = ok
	}
	if !ok && strings.Contains(line, "[SYS/TEMP]") && f.answering.verb == "" {
		f.st.Closed = true // the server gave up on the session
	}
}

// Status is a status line's "+OK" or "-ERR", or "" when it has none.
func Status(line string) string {
	for _, s := range []string{"+OK", "-ERR"} {
		if strings.HasPrefix(line, s) {
			return s
		}
	}
	return ""
}

// MultiLine reports whether a successful answer to cmd is multi-line (RFC
// 1939 and RFC 2449).
func MultiLine(cmd string) bool {
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return false
	}
	switch strings.ToUpper(fields[0]) {
	case "RETR", "TOP", "CAPA":
		return true
	case "LIST", "UIDL":
		return len(fields) == 1
	}
	return false
}
