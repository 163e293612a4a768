package client

import (
	"encoding/base64"
	"strings"

	"maillab/sandbox/reply"
	"maillab/trace"
	"maillab/trace/i18n"
)

// State is where a conversation is, as the server's answers show it.
// Lessons check exercises against it.
type State struct {
	Proto string

	// SMTP
	Greeted       bool
	Helo          bool   // HELO or EHLO was accepted
	ESMTP         bool   // it was EHLO
	AuthPending   string // "username", "password" or "plain" while AUTH waits for an answer
	Authenticated bool
	Sender        bool // MAIL FROM accepted
	Recipients    int  // RCPT TO accepted in this transaction
	InData        bool // between DATA's 354 and the "." line
	Sent          int  // messages accepted (250 after ".")

	// POP3
	UserGiven bool
	LoggedIn  bool

	Closed    bool
	Exchanges []Exchange // every command and the status line that answered it
}

// Exchange is one command and the status line of its answer.
type Exchange struct {
	Command string    // "" for the greeting
	Status  string    // the status line: SMTP's last reply line, POP3's first
	Reply   reply.Key // which reply of maillab's catalogue it is, if one
}

// Success reports whether the answer was positive: 2xx or 3xx, or +OK.
func (x Exchange) Success() bool {
	return strings.HasPrefix(x.Status, "+OK") || strings.HasPrefix(x.Status, "2") || strings.HasPrefix(x.Status, "3")
}

func newState(proto string) *State { return &State{Proto: proto} }

// restart forgets the conversation after TLS starts (RFC 3207 4.2): the
// client must say EHLO again and log in again.
func (st *State) restart() {
	exchanges, sent := st.Exchanges, st.Sent
	*st = State{Proto: st.Proto, Greeted: true, Exchanges: exchanges, Sent: sent}
}

// answered updates the state from the answer to cmd ("" for the greeting).
func (st *State) answered(cmd string, answer []string) {
	if len(answer) == 0 {
		return
	}
	status, key := answer[len(answer)-1], reply.IdentifySMTP(answer[0])
	if st.Proto == "POP3" {
		status, key = answer[0], reply.IdentifyPOP3(answer[0], cmd)
	}
	st.Exchanges = append(st.Exchanges, Exchange{Command: cmd, Status: status, Reply: key})
	if st.Proto == "SMTP" {
		st.smtp(cmd, status)
	} else {
		st.pop3(cmd, status)
	}
}

func (st *State) smtp(cmd, status string) {
	code := status
	if len(code) > 3 {
		code = code[:3]
	}
	if code == "421" || code == "221" {
		st.Closed = true
		return
	}
	ok := strings.HasPrefix(code, "2")
	verb := strings.ToUpper(trace.Verb(cmd))
	switch {
	case cmd == "":
		st.Greeted = code == "220"
	case st.AuthPending != "":
		st.authAnswer(code, status)
	case st.InData && cmd == ".":
		st.InData = false
		if ok {
			st.Sent++
		}
		st.Sender, st.Recipients = false, 0
	case verb == "EHLO" || verb == "HELO":
		if ok {
			st.Helo, st.ESMTP, st.Sender, st.Recipients = true, verb == "EHLO", false, 0
		}
	case verb == "AUTH":
		st.authAnswer(code, status)
	case verb == "MAIL" && ok:
		st.Sender, st.Recipients = true, 0
	case verb == "RCPT" && ok:
		st.Recipients++
	case verb == "DATA" && code == "354":
		st.InData = true
	case verb == "RSET" && ok:
		st.Sender, st.Recipients = false, 0
	}
}

// authAnswer follows an AUTH exchange: 334 asks for more, 235 ends it well.
func (st *State) authAnswer(code, status string) {
	switch code {
	case "334":
		challenge := strings.TrimSpace(strings.TrimPrefix(status, "334"))
		b, _ := base64.StdEncoding.DecodeString(challenge)
		switch strings.ToLower(string(b)) {
		case "username:":
			st.AuthPending = "username"
		case "password:":
			st.AuthPending = "password"
		default:
			st.AuthPending = "plain"
		}
	case "235":
		st.AuthPending, st.Authenticated = "", true
	default:
		st.AuthPending = ""
	}
}

func (st *State) pop3(cmd, status string) {
	ok := strings.HasPrefix(status, "+OK")
	switch strings.ToUpper(trace.Verb(cmd)) {
	case "USER":
		st.UserGiven = ok
	case "PASS":
		st.LoggedIn, st.UserGiven = ok, false
	case "QUIT":
		st.Closed = ok
	}
}

// The states a conversation can be in, by name; Name returns one of these.
const (
	StateConnected       = "connected"
	StateGreeted         = "greeted"
	StateAuthUser        = "login: user name asked"
	StateAuthPassword    = "login: password asked"
	StateAuthPlain       = "login: PLAIN answer asked"
	StateReady           = "ready"
	StateAuthenticated   = "authenticated"
	StateSender          = "sender given"
	StateRecipients      = "recipients given"
	StateInData          = "writing the message"
	StateClosed          = "closed"
	StatePOP3Auth        = "not logged in"
	StatePOP3User        = "user given"
	StatePOP3Transaction = "logged in"
)

// SMTPStates and POP3States list every state Name can return.
var (
	SMTPStates = []string{StateConnected, StateGreeted, StateAuthUser, StateAuthPassword, StateAuthPlain, StateReady, StateAuthenticated, StateSender, StateRecipients, StateInData, StateClosed}
	POP3States = []string{StatePOP3Auth, StatePOP3User, StatePOP3Transaction, StateClosed}
)

// Name is the state's name, for prompts and hints.
func (st *State) Name() string {
	if st.Closed {
		return StateClosed
	}
	if st.Proto == "POP3" {
		switch {
		case st.LoggedIn:
			return StatePOP3Transaction
		case st.UserGiven:
			return StatePOP3User
		}
		return StatePOP3Auth
	}
	switch {
	case st.InData:
		return StateInData
	case st.AuthPending == "username":
		return StateAuthUser
	case st.AuthPending == "password":
		return StateAuthPassword
	case st.AuthPending == "plain":
		return StateAuthPlain
	case st.Recipients > 0:
		return StateRecipients
	case st.Sender:
		return StateSender
	case st.Authenticated:
		return StateAuthenticated
	case st.Helo:
		return StateReady
	case st.Greeted:
		return StateGreeted
	}
	return StateConnected
}

// LabelIn is the prompt's description, e.g. "authenticated, sender
// given", in p's language (the state names are catalogue keys).
func (st *State) LabelIn(p *i18n.Printer) string {
	p = i18n.Or(p)
	name := st.Name()
	if st.Proto == "SMTP" && st.Authenticated && name != StateAuthenticated && name != StateClosed {
		return p.Tr(StateAuthenticated) + p.Tr(", ") + p.Tr(name)
	}
	return p.Tr(name)
}

// DescribeIn says in a line what the state means, in p's language.
func (st *State) DescribeIn(p *i18n.Printer) string {
	p = i18n.Or(p)
	if st.Proto == "POP3" {
		return "POP3" + p.Tr(", ") + p.Tr(st.Name())
	}
	parts := []string{"SMTP" + p.Tr(", ") + p.Tr(st.Name())}
	if st.Authenticated {
		parts = append(parts, p.Tr("logged in"))
	}
	if st.Sender {
		parts = append(parts, p.Trf("%s accepted", p.Count(st.Recipients, "recipient")))
	}
	if st.Sent > 0 {
		parts = append(parts, p.Trf("%s sent", p.Count(st.Sent, "message")))
	}
	return strings.Join(parts, p.Tr("; "))
}
