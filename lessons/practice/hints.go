package practice

import (
	"maillab/sandbox/client"
	"maillab/trace/i18n"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// Hint says what is valid now, with an example. Text and Also are
// catalogue keys: TextIn gives them in a language.
type Hint struct {
	Text    string
	Example string
	Also    string // a second sentence, or ""
}

// TextIn is the hint's text in p's language.
func (h Hint) TextIn(p *i18n.Printer) string {
	if h.Also == "" {
		return p.Tr(h.Text)
	}
	return p.Tr(h.Text) + " " + p.Tr(h.Also)
}

// hints answers :hint for every state.
var hints = map[string]map[string]Hint{
	"SMTP": {
		client.StateConnected:     {Text: i18n.N("wait for the server's 220 greeting, then say hello"), Example: "EHLO me"},
		client.StateGreeted:       {Text: i18n.N("say hello first; EHLO (not HELO) also lists the extensions, AUTH among them"), Example: "EHLO me"},
		client.StateAuthUser:      {Text: i18n.N("answer with the user name in Base64 (:b64 gacl makes it), or * to cancel"), Example: "Z2FjbA=="},
		client.StateAuthPassword:  {Text: i18n.N("answer with the password in Base64 (:b64 123456 makes it), or * to cancel"), Example: "MTIzNDU2"},
		client.StateAuthPlain:     {Text: i18n.N("answer with Base64 of NUL user NUL password (maillab encode --auth-plain gacl 123456)"), Example: "AGdhY2wAMTIzNDU2"},
		client.StateReady:         {Text: i18n.N("log in to send to other providers, or give a sender to send to this provider's own users"), Example: "AUTH LOGIN"},
		client.StateAuthenticated: {Text: i18n.N("give the envelope sender"), Example: "MAIL FROM:<gacl@sohu.com>"},
		client.StateSender:        {Text: i18n.N("give a recipient"), Example: "RCPT TO:<bbb@sina.com>"},
		client.StateRecipients:    {Text: i18n.N("send the message (or add another recipient)"), Example: "DATA"},
		client.StateInData:        {Text: i18n.N("type header lines (From:, To:, Subject:), a blank line, the body, then a line with only a dot"), Example: "Subject: hello"},
		client.StateClosed:        {Text: i18n.N("the connection is closed; :quit leaves, and maillab practice starts a new one"), Example: ":quit"},
	},
	"POP3": {
		client.StatePOP3Auth:        {Text: i18n.N("log in: the user name first, in plain text"), Example: "USER bbb"},
		client.StatePOP3User:        {Text: i18n.N("now the password, in plain text"), Example: "PASS 123456"},
		client.StatePOP3Transaction: {Text: i18n.N("look into the mailbox: STAT, LIST, RETR n, TOP n 5, UIDL, DELE n; QUIT to end (deletions happen then)"), Example: "STAT"},
		client.StateClosed:          {Text: i18n.N("the connection is closed; :quit leaves, and maillab practice starts a new one"), Example: ":quit"},
	},
}

// HintNow returns what is valid now: first what the last answer calls
// for (a refusal names its own way out), then what the state allows.
func HintNow(st *client.State) Hint {
	if h, ok := afterReply(st); ok {
		return h
	}
	if st.Proto == "SMTP" && st.Name() == client.StateReady && !st.ESMTP {
		return Hint{Text: i18n.N("you said HELO, which turns no extensions on: say EHLO to log in with AUTH"), Example: "EHLO me"}
	}
	if st.Proto == "SMTP" && (st.Sender || st.Recipients > 0) && !st.Authenticated {
		h := hints[string(st.Proto)][st.Name()]
		h.Also = i18n.N("(to send to another provider, log in first: RSET, then AUTH LOGIN)")
		return h
	}
	return hints[string(st.Proto)][st.Name()]
}

// afterReply is the hint a refusal calls for, when it calls for one.
func afterReply(st *client.State) (Hint, bool) {
	if len(st.Exchanges) == 0 || st.Closed {
		return Hint{}, false
	}
	switch st.Exchanges[len(st.Exchanges)-1].Reply {
	case smtp.RelayDenied.Key:
		return Hint{Text: i18n.N("that recipient lives at another provider, and this one relays only for its logged-in users: RSET ends the transaction, then log in with AUTH LOGIN (not allowed inside a transaction)"), Example: "RSET"}, true
	case smtp.NotOurWorld.Key:
		return Hint{Text: i18n.N("this sandbox delivers only to sohu.com and sina.com: give a recipient there"), Example: "RCPT TO:<bbb@sina.com>"}, true
	case smtp.NoSuchUser.Key:
		return Hint{Text: i18n.N("check the address: sohu.com has gacl and aaa, sina.com has bbb and gacl"), Example: "RCPT TO:<bbb@sina.com>"}, true
	case smtp.NeedEhlo.Key:
		return Hint{Text: i18n.N("AUTH needs EHLO, not HELO: say EHLO, then AUTH LOGIN"), Example: "EHLO me"}, true
	case smtp.AuthInMail.Key:
		return Hint{Text: i18n.N("log in before MAIL FROM: RSET ends the transaction, then AUTH LOGIN"), Example: "RSET"}, true
	case smtp.AuthFailed.Key:
		return Hint{Text: i18n.N("the name or the password was wrong: start again with AUTH LOGIN and check the Base64 (:b64 gacl, :b64 123456)"), Example: "AUTH LOGIN"}, true
	case smtp.SenderNotOwned.Key:
		return Hint{Text: i18n.N("send as the account you logged in with"), Example: "MAIL FROM:<gacl@sohu.com>"}, true
	case smtp.NeedTLS.Key:
		return Hint{Text: i18n.N("this server takes logins only inside TLS: STARTTLS, then EHLO again (the session starts over), then AUTH"), Example: "STARTTLS"}, true
	case pop3.NeedTLS.Key:
		return Hint{Text: i18n.N("this server takes passwords only inside TLS: STLS first, then USER and PASS"), Example: "STLS"}, true
	case pop3.STLSLate.Key:
		return Hint{Text: i18n.N("STLS comes before the login, so the password never crosses the network readable: QUIT, connect again, STLS first"), Example: "QUIT"}, true
	case smtp.NoTLS.Key, pop3.NoTLS.Key:
		return Hint{Text: i18n.N("this server offers no TLS (a sandbox started with --tls off); go on in plaintext"), Example: ":state"}, true
	case smtp.NotImpl.Key:
		return Hint{Text: i18n.N("this server does not offer that command (EXPN and VRFY of lists are switched off at most servers, against address harvesting): HELP lists what it understands"), Example: "HELP"}, true
	case smtp.UnknownCmd.Key:
		return Hint{Text: i18n.N("that is no SMTP command: HELP lists the ones this server understands"), Example: "HELP"}, true
	case pop3.Unknown.Key:
		return Hint{Text: i18n.N("that is no POP3 command: CAPA lists what this server offers"), Example: "CAPA"}, true
	case pop3.InUse.Key:
		return Hint{Text: i18n.N("another session has the mailbox open: QUIT that one, then log in again"), Example: "USER bbb"}, true
	}
	return Hint{}, false
}

// HintFor returns the hint of a named state of proto.
func HintFor(proto, state string) (Hint, bool) {
	h, ok := hints[proto][state]
	return h, ok
}
