package practice

import (
	"maillab/sandbox/client"
	"maillab/sandbox/reply"
)

// Hint says what is valid now, with an example.
type Hint struct {
	Text    string
	Example string
}

// hints answers :hint for every state.
var hints = map[string]map[string]Hint{
	"SMTP": {
		client.StateConnected:     {"wait for the server's 220 greeting, then say hello", "EHLO me"},
		client.StateGreeted:       {"say hello first; EHLO (not HELO) also lists the extensions, AUTH among them", "EHLO me"},
		client.StateAuthUser:      {"answer with the user name in Base64 (:b64 gacl makes it), or * to cancel", "Z2FjbA=="},
		client.StateAuthPassword:  {"answer with the password in Base64 (:b64 123456 makes it), or * to cancel", "MTIzNDU2"},
		client.StateAuthPlain:     {"answer with Base64 of NUL user NUL password (maillab encode --auth-plain gacl 123456)", "AGdhY2wAMTIzNDU2"},
		client.StateReady:         {"log in to send to other providers, or give a sender to send to this provider's own users", "AUTH LOGIN"},
		client.StateAuthenticated: {"give the envelope sender", "MAIL FROM:<gacl@sohu.com>"},
		client.StateSender:        {"give a recipient", "RCPT TO:<bbb@sina.com>"},
		client.StateRecipients:    {"send the message (or add another recipient)", "DATA"},
		client.StateInData:        {"type header lines (From:, To:, Subject:), a blank line, the body, then a line with only a dot", "Subject: hello"},
		client.StateClosed:        {"the connection is closed; :quit leaves, and maillab practice starts a new one", ":quit"},
	},
	"POP3": {
		client.StatePOP3Auth:        {"log in: the user name first, in plain text", "USER bbb"},
		client.StatePOP3User:        {"now the password, in plain text", "PASS 123456"},
		client.StatePOP3Transaction: {"look into the mailbox: STAT, LIST, RETR n, TOP n 5, UIDL, DELE n; QUIT to end (deletions happen then)", "STAT"},
		client.StateClosed:          {"the connection is closed; :quit leaves, and maillab practice starts a new one", ":quit"},
	},
}

// HintNow returns what is valid now: first what the last answer calls
// for (a refusal names its own way out), then what the state allows.
func HintNow(st *client.State) Hint {
	if h, ok := afterReply(st); ok {
		return h
	}
	if st.Proto == "SMTP" && st.Name() == client.StateReady && !st.ESMTP {
		return Hint{"you said HELO, which turns no extensions on: say EHLO to log in with AUTH", "EHLO me"}
	}
	if st.Proto == "SMTP" && (st.Sender || st.Recipients > 0) && !st.Authenticated {
		h := hints[st.Proto][st.Name()]
		h.Text += " (to send to another provider, log in first: RSET, then AUTH LOGIN)"
		return h
	}
	return hints[st.Proto][st.Name()]
}

// afterReply is the hint a refusal calls for, when it calls for one.
func afterReply(st *client.State) (Hint, bool) {
	if len(st.Exchanges) == 0 || st.Closed {
		return Hint{}, false
	}
	switch st.Exchanges[len(st.Exchanges)-1].Reply {
	case reply.SMTPRelayDenied.Key:
		return Hint{"that recipient lives at another provider, and this one relays only for its logged-in users: RSET ends the transaction, then log in with AUTH LOGIN (not allowed inside a transaction)", "RSET"}, true
	case reply.SMTPNotOurWorld.Key:
		return Hint{"this sandbox delivers only to sohu.com and sina.com: give a recipient there", "RCPT TO:<bbb@sina.com>"}, true
	case reply.SMTPNoSuchUser.Key:
		return Hint{"check the address: sohu.com has gacl and aaa, sina.com has bbb and gacl", "RCPT TO:<bbb@sina.com>"}, true
	case reply.SMTPNeedEhlo.Key:
		return Hint{"AUTH needs EHLO, not HELO: say EHLO, then AUTH LOGIN", "EHLO me"}, true
	case reply.SMTPAuthInMail.Key:
		return Hint{"log in before MAIL FROM: RSET ends the transaction, then AUTH LOGIN", "RSET"}, true
	case reply.SMTPAuthFailed.Key:
		return Hint{"the name or the password was wrong: start again with AUTH LOGIN and check the Base64 (:b64 gacl, :b64 123456)", "AUTH LOGIN"}, true
	case reply.SMTPSenderNotOwned.Key:
		return Hint{"send as the account you logged in with", "MAIL FROM:<gacl@sohu.com>"}, true
	case reply.SMTPNeedTLS.Key:
		return Hint{"this server takes logins only inside TLS: STARTTLS, then EHLO again (the session starts over), then AUTH", "STARTTLS"}, true
	case reply.POP3NeedTLS.Key:
		return Hint{"this server takes passwords only inside TLS: STLS first, then USER and PASS", "STLS"}, true
	case reply.POP3STLSLate.Key:
		return Hint{"STLS comes before the login, so the password never crosses the network readable: QUIT, connect again, STLS first", "QUIT"}, true
	case reply.SMTPNoTLS.Key, reply.POP3NoTLS.Key:
		return Hint{"this server offers no TLS (a sandbox started with --tls off); go on in plaintext", ":state"}, true
	case reply.POP3InUse.Key:
		return Hint{"another session has the mailbox open: QUIT that one, then log in again", "USER bbb"}, true
	}
	return Hint{}, false
}

// HintFor returns the hint of a named state of proto.
func HintFor(proto, state string) (Hint, bool) {
	h, ok := hints[proto][state]
	return h, ok
}
