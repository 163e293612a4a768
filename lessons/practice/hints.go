package practice

import "maillab/sandbox/client"

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

// HintNow returns what is valid in a conversation's state now.
func HintNow(st *client.State) Hint {
	return hints[st.Proto][st.Name()]
}

// HintFor returns the hint of a named state of proto.
func HintFor(proto, state string) (Hint, bool) {
	h, ok := hints[proto][state]
	return h, ok
}
