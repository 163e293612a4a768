package trace

import (
	"strings"
	"testing"

	"maillab/trace/proto"
)

// turn is one line of a scripted session: sent by the client or the server.
type turn struct {
	client bool
	line   string
}

func c(line string) turn { return turn{true, line} }
func s(line string) turn { return turn{false, line} }

// through passes a scripted session through a Tap, as a server-side tap
// records it, and returns the Events (the tap's own close left out).
func through(name proto.Name, session string, turns ...turn) []Event {
	var events []Event
	tap := NewTap(nil, TapConfig{Side: ServerSide, Proto: name, Client: "cli", Server: "srv", Session: session,
		Hop: Submission, Sink: func(e Event) { events = append(events, e) }})
	if len(turns) > 0 && turns[0].client { // a script that starts after the greeting
		greeting := "220 srv ESMTP"
		if name == POP3 {
			greeting = "+OK srv ready"
		}
		tap.follower.Server(greeting, len(greeting)+2, "")
	}
	for _, t := range turns {
		tap.record(t.client, []byte(t.line+"\r\n"))
	}
	return events
}

func TestAnnotatorConversations(t *testing.T) {
	tests := []struct {
		name  string
		proto proto.Name
		turns []turn
		want  []string // a substring of each event's note, in order
	}{
		{"auth login", SMTP, []turn{s("220 srv ESMTP"), c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("Z2FjbA=="), s("334 UGFzc3dvcmQ6"), c("MTIzNDU2"), s("235 2.7.0 authentication successful")},
			[]string{"greeting", "AUTH LOGIN", "Base64 of 'Username:'", "Base64 of 'gacl'", "Base64 of 'Password:'", "Base64 of '123456'", "logged in"}},
		{"auth login pipelined", SMTP, []turn{c("AUTH LOGIN"), c("Z2FjbA=="), c("MTIzNDU2"), s("334 VXNlcm5hbWU6"), s("334 UGFzc3dvcmQ6"), s("235 2.7.0 authentication successful")},
			[]string{"AUTH LOGIN", "'gacl'", "'123456'", "Username:", "Password:", "logged in"}},
		{"auth login initial response", SMTP, []turn{c("AUTH LOGIN Z2FjbA=="), s("334 UGFzc3dvcmQ6"), c("MTIzNDU2")},
			[]string{"Base64 of 'gacl'", "Password:", "'123456'"}},
		{"auth plain", SMTP, []turn{c("AUTH PLAIN AGdhY2wAMTIzNDU2")},
			[]string{"user 'gacl', NUL, password '123456'"}},
		{"auth plain challenge", SMTP, []turn{c("AUTH PLAIN"), s("334 "), c("AGdhY2wAMTIzNDU2")},
			[]string{"AUTH PLAIN", "NUL user NUL password", "user 'gacl'"}},
		{"auth case-mangled", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("z2fjba==")},
			[]string{"", "", "not text"}},
		{"auth answer with a newline", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("Z2FjbAo=")},
			[]string{"", "", "'gacl' plus a newline (0a), which echo added: make it with echo -n or printf"}},
		{"auth bad base64", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("!!"), s("501 5.5.2 cannot decode Base64 answer"), c("NOOP")},
			[]string{"", "", "not valid Base64", "not valid Base64", "do nothing"}},
		{"data headers and body", SMTP, []turn{c("DATA"), s("354 start mail input; end with <CRLF>.<CRLF>"), c("From: <gacl@sohu.com>"), c("To: <bbb@sina.com>"), c("Subject: =?GBK?B?08q8/rLiytQ=?="), c(""), c("hello gacl"), c("..leading dot"), c("."), s("250 2.0.0 OK, message accepted, queued as X")},
			[]string{"message itself", "go ahead", "header From", "header To", "decodes to '邮件测试'", "blank line", "body", "dot-stuffing, RFC 5321 4.5.2", "end of the message", "message accepted"}},
		{"base64 gbk body", SMTP, []turn{c("DATA"), c("Content-Type: text/plain; charset=GBK"), c("Content-Transfer-Encoding: base64"), c(""), c("vPK1pbXE08q8/reiy82y4srUo6E=")},
			[]string{"", "Content-Type", "base64", "blank line", "decodes to '简单的邮件发送测试！'"}},
		{"folded content-type read once", SMTP, []turn{c("DATA"), c("Content-Type: text/plain;"), c("\tcharset=GBK"), c("Content-Transfer-Encoding: base64"), c(""), c("08q8/g==")},
			[]string{"", "Content-Type", "continued", "base64", "blank line", "decodes to '邮件'"}},
		{"delivery report", SMTP, []turn{c("DATA"), c("Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\""), c("Auto-Submitted: auto-replied"), c(""), c("--b"), c("Content-Type: message/delivery-status"), c(""), c("Reporting-MTA: dns; smtp.sohu.com"), c(""), c("Final-Recipient: rfc822; x@sina.com"), c("Action: failed"), c("Status: 5.1.1"), c("Diagnostic-Code: smtp; 550 5.1.1 no"), c("--b--")},
			[]string{"", "a delivery report in parts", "RFC 3834", "blank line", "boundary", "machine-readable delivery status", "blank line", "the server that writes this report", "a group of fields ends", "the recipient this group", "failed, delayed", "enhanced status code", "the reply the next server gave", "end of the last MIME part"}},
		{"a forgotten final dot", SMTP, []turn{c("DATA"), s("354 start mail input; end with <CRLF>.<CRLF>"), c("Subject: hi"), c(""), c("hi"), c("QUIT"), c("quit now")},
			[]string{"message itself", "go ahead", "header Subject", "blank line", "body", "looks like the command QUIT: the message is still being sent", "body"}},
		{"errors", SMTP, []turn{c("RCPT TO:<bbb@sina.com>"), s("503 5.5.1 bad sequence of commands: need MAIL FROM before RCPT TO"), c("FOO"), s("500 5.5.1 command not recognized: FOO")},
			[]string{"envelope recipient", "MAIL FROM", "not an SMTP command", "HELP"}},
		{"not implemented", SMTP, []turn{c("EXPN staff"), s("502 5.5.1 EXPN not implemented"), c("ETRN sohu.com"), c("BDAT 10 LAST"), c("TURN")},
			[]string{"mailing list", "does not offer", "RFC 1985", "CHUNKING, RFC 3030", "RFC 821"}},
		{"null sender and parameters", SMTP, []turn{c("MAIL FROM:<> BODY=8BITMIME SIZE=326"), s("250 2.1.0 sender <> OK")},
			[]string{"used by bounces themselves: if this message fails, nobody is told (RFC 5321 4.5.5); BODY=8BITMIME", "null sender accepted"}},
		{"postmaster", SMTP, []turn{c("RCPT TO:<Postmaster>"), s("250 2.1.5 recipient <postmaster@sina.com> OK, the postmaster reads it")},
			[]string{"every server must accept", "RFC 5321 4.5.1"}},
		{"vrfy", SMTP, []turn{c("VRFY bbb"), s("252 2.5.0 cannot verify users, but will accept mail and attempt delivery")},
			[]string{"exists", "neither confirms nor denies"}},
		{"555 after rcpt", SMTP, []turn{c("RCPT TO:<bbb@sina.com> NOTIFY=NEVER"), s("555 5.5.4 parameter not recognized: NOTIFY=NEVER")},
			[]string{"", "RCPT TO takes no parameters"}},
		{"relay denied", SMTP, []turn{c("RCPT TO:<bbb@sina.com>"), s("550 5.7.1 <bbb@sina.com>: relaying denied, log in first (AUTH) to send to sina.com")},
			[]string{"", "AUTH LOGIN first"}},
		{"ehlo", SMTP, []turn{c("EHLO me"), s("250-smtp.sohu.com greets me"), s("250-SIZE 10485760"), s("250-PIPELINING"), s("250 AUTH LOGIN PLAIN")},
			[]string{"hello from 'me'", "extensions", "10485760 octets", "without waiting", "LOGIN PLAIN"}},
		{"helo", SMTP, []turn{c("HELO me"), s("250 smtp.sohu.com greets me")},
			[]string{"plain SMTP", "no extensions are listed"}},
		{"pop3 session", POP3, []turn{s("+OK pop3.sina.com POP3 maillab sandbox ready"), c("USER bbb"), s("+OK now send PASS for bbb"), c("PASS 123456"), s("+OK bbb@sina.com has 1 message (512 octets)"), c("STAT"), s("+OK 1 512"), c("LIST"), s("+OK 1 message (512 octets)"), s("1 512"), s("."), c("RETR 1"), s("+OK 512 octets"), s("Subject: hi"), s(""), s("..dotted"), s("."), c("QUIT"), s("+OK pop3.sina.com signing off (1 message left)")},
			[]string{"greeting", "no Base64", "now send PASS", "plain text", "locked", "how many", "1 message, 512 octets", "list every", "list follows", "message 1: 512 octets", "end of the answer", "retrieve message 1", "message follows", "header Subject", "blank line", "dot-stuffing, RFC 1939", "end of the answer", "deleted now", "deleted now"}},
		{"pop3 quit before login", POP3, []turn{s("+OK pop3.sina.com POP3 maillab sandbox ready"), c("QUIT"), s("+OK pop3.sina.com signing off")},
			[]string{"greeting", "nothing to delete", "nothing was deleted"}},
		{"pop3 pipelined", POP3, []turn{s("+OK ready"), c("USER bbb"), c("PASS 1"), s("+OK now send PASS for bbb"), s("-ERR [AUTH] invalid user name or password")},
			[]string{"greeting", "", "", "now send PASS", "login failed"}},
		{"pop3 errors", POP3, []turn{s("+OK ready"), c("STAT"), s("-ERR log in first with USER and PASS"), c("PASS x"), s("-ERR [IN-USE] mailbox of bbb is in use by another session")},
			[]string{"", "", "log in with USER and PASS", "", "another session"}},
		{"smtp foreign server", SMTP, []turn{s("220 yes.example ESMTP"), c("EHLO me"), s("250 ok"), c("HELP"), s("502 not here"), c("QUIT"), s("221 bye")},
			[]string{"greeting", "hello from 'me'", "offers no extensions", "", "command not implemented", "goodbye", "closes the connection"}},
		{"pop3 foreign server", POP3, []turn{s("+OK Dovecot ready."), c("USER bbb"), s("+OK"), c("PASS x"), s("-ERR [AUTH] Authentication failed.")},
			[]string{"greeting", "", "user name noted", "", "login failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAnnotator()
			events := through(tt.proto, "s1", tt.turns...)
			if len(events) != len(tt.want) {
				t.Fatalf("%d events for %d expectations", len(events), len(tt.want))
			}
			for i, e := range events {
				a.Annotate(&e)
				if !strings.Contains(e.Note, tt.want[i]) {
					t.Errorf("line %d %q: note %q lacks %q", i, e.Line, e.Note, tt.want[i])
				}
			}
		})
	}
}

func TestAnnotatorActions(t *testing.T) {
	e := Event{Kind: Internal, Action: MXLookup, Facts: &Facts{Domain: "sina.com", Peer: "smtp.sina.com"}}
	NewAnnotator().Annotate(&e)
	if !strings.Contains(e.Note, "DNS query") {
		t.Errorf("note %q", e.Note)
	}
}

// TestSessionsAreFollowedApart: each connection has its own Follower, so
// a line of one session is never read as part of another's exchange.
func TestSessionsAreFollowedApart(t *testing.T) {
	a := NewAnnotator()
	one := through(SMTP, "#1", c("AUTH LOGIN"))[0]
	a.Annotate(&one)
	other := through(SMTP, "#2", c("Z2FjbA=="))[0]
	a.Annotate(&other)
	if !strings.Contains(other.Note, "not an SMTP command") || other.Challenge {
		t.Errorf("#2's line was taken as an AUTH answer of #1: %q", other.Note)
	}
}
