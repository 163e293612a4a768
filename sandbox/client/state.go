package client

import (
	"strings"

	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// State is where a conversation is, as the server's answers show it: a
// snapshot of what the protocol's Follower found, with the exchanges of
// this session. Lessons check exercises against it.
type State struct {
	Proto proto.Name

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
	Reply   proto.Key // which reply of maillab's catalogue it is, if one
}

// Success reports whether the answer was positive: 2xx or 3xx, or +OK.
func (x Exchange) Success() bool {
	return strings.HasPrefix(x.Status, "+OK") || strings.HasPrefix(x.Status, "2") || strings.HasPrefix(x.Status, "3")
}

// stateOf makes the snapshot of a conversation from its Follower.
func stateOf(f proto.Follower, exchanges []Exchange, closed bool) *State {
	st := &State{Exchanges: exchanges, Closed: closed}
	switch f := f.(type) {
	case *smtp.Follower:
		s := f.State()
		st.Proto = proto.SMTP
		st.Greeted, st.Helo, st.ESMTP, st.AuthPending = s.Greeted, s.Helo, s.ESMTP, s.AuthStage
		st.Authenticated, st.Sender, st.Recipients, st.InData, st.Sent = s.Authenticated, s.Sender, s.Recipients, s.InData, s.Sent
		st.Closed = st.Closed || s.Closed
	case *pop3.Follower:
		s := f.State()
		st.Proto = proto.POP3
		st.Greeted, st.UserGiven, st.LoggedIn = s.Greeted, s.UserGiven, s.LoggedIn
		st.Closed = st.Closed || s.Closed
	}
	return st
}

// exchange records a command and the answer it got.
func exchange(p proto.Name, cmd string, answer []string) Exchange {
	if p == proto.POP3 {
		return Exchange{Command: cmd, Status: answer[0], Reply: pop3.Identify(answer[0], cmd)}
	}
	return Exchange{Command: cmd, Status: answer[len(answer)-1], Reply: smtp.Identify(answer[0])}
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
