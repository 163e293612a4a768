package trace

import (
	"strings"
	"testing"
)

// line builds an Event of one session between "cli" and "srv".
func line(proto string, kind Kind, text string) Event {
	e := Event{Proto: proto, Kind: kind, Line: text, From: "cli", To: "srv"}
	if kind == Reply || kind == Data && proto == "POP3" {
		e.From, e.To = "srv", "cli"
	}
	return e
}

func c(text string) Event  { return line("SMTP", Command, text) }
func s(text string) Event  { return line("SMTP", Reply, text) }
func d(text string) Event  { return line("SMTP", Data, text) }
func pc(text string) Event { return line("POP3", Command, text) }
func ps(text string) Event { return line("POP3", Reply, text) }
func pd(text string) Event { return line("POP3", Data, text) }

func TestAnnotatorConversations(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		want   []string // a substring of each event's note, in order
	}{
		{"auth login", []Event{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("Z2FjbA=="), s("334 UGFzc3dvcmQ6"), c("MTIzNDU2"), s("235 2.7.0 ok")},
			[]string{"AUTH LOGIN", "Base64 of 'Username:'", "Base64 of 'gacl'", "Base64 of 'Password:'", "Base64 of '123456'", "logged in"}},
		{"auth login pipelined", []Event{c("AUTH LOGIN"), c("Z2FjbA=="), c("MTIzNDU2"), s("334 VXNlcm5hbWU6"), s("334 UGFzc3dvcmQ6"), s("235 2.7.0 ok")},
			[]string{"AUTH LOGIN", "'gacl'", "'123456'", "Username:", "Password:", "logged in"}},
		{"auth login initial response", []Event{c("AUTH LOGIN Z2FjbA=="), s("334 UGFzc3dvcmQ6"), c("MTIzNDU2")},
			[]string{"Base64 of 'gacl'", "Password:", "'123456'"}},
		{"auth plain", []Event{c("AUTH PLAIN AGdhY2wAMTIzNDU2")},
			[]string{"user 'gacl', NUL, password '123456'"}},
		{"auth plain challenge", []Event{c("AUTH PLAIN"), s("334 "), c("AGdhY2wAMTIzNDU2")},
			[]string{"AUTH PLAIN", "NUL user NUL password", "user 'gacl'"}},
		{"auth case-mangled", []Event{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("z2fjba==")},
			[]string{"", "", "not text"}},
		{"auth bad base64", []Event{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("!!"), s("501 5.5.2 cannot decode"), c("NOOP")},
			[]string{"", "", "not valid Base64", "not valid Base64", "do nothing"}},
		{"data headers and body", []Event{c("DATA"), s("354 go"), d("From: <gacl@sohu.com>"), d("To: <bbb@sina.com>"), d("Subject: =?GBK?B?08q8/rLiytQ=?="), d(""), d("hello gacl"), d("."), s("250 2.0.0 OK, message accepted, queued as X")},
			[]string{"message itself", "go ahead", "header From", "header To", "decodes to '邮件测试'", "blank line", "body", "end of the message", "message accepted"}},
		{"base64 gbk body", []Event{c("DATA"), d("Content-Type: text/plain; charset=GBK"), d("Content-Transfer-Encoding: base64"), d(""), d("vPK1pbXE08q8/reiy82y4srUo6E=")},
			[]string{"", "Content-Type", "base64", "blank line", "decodes to '简单的邮件发送测试！'"}},
		{"errors", []Event{c("RCPT TO:<bbb@sina.com>"), s("503 5.5.1 bad sequence of commands: need MAIL FROM before RCPT TO"), c("FOO"), s("500 5.5.1 command not recognized: FOO")},
			[]string{"envelope recipient", "MAIL FROM", "not an SMTP command", "HELP"}},
		{"relay denied", []Event{s("550 5.7.1 <bbb@sina.com>: relaying denied, log in first (AUTH) to send to sina.com")},
			[]string{"AUTH LOGIN first"}},
		{"ehlo", []Event{c("EHLO me"), s("250-smtp.sohu.com greets me"), s("250-SIZE 10485760"), s("250 AUTH LOGIN PLAIN")},
			[]string{"hello, I am 'me'", "extensions", "10485760 octets", "LOGIN PLAIN"}},
		{"pop3 session", []Event{ps("+OK ready"), pc("USER bbb"), ps("+OK send PASS"), pc("PASS 123456"), ps("+OK logged in"), pc("STAT"), ps("+OK 1 512"), pc("LIST"), ps("+OK 1 message"), pd("1 512"), pd("."), pc("RETR 1"), ps("+OK 512 octets"), pd("Subject: hi"), pd(""), pd("..dotted"), pd("."), pc("QUIT"), ps("+OK bye")},
			[]string{"greeting", "user name", "now send PASS", "password", "locked", "how many", "1 message, 512 octets", "list every", "list follows", "message 1: 512 octets", "end of the answer", "retrieve message 1", "message follows", "header Subject", "blank line", "body", "end of the answer", "goodbye", "goodbye"}},
		{"pop3 pipelined", []Event{ps("+OK ready"), pc("USER bbb"), pc("PASS 1"), ps("+OK x"), ps("-ERR [AUTH] invalid user name or password")},
			[]string{"greeting", "", "", "now send PASS", "login failed"}},
		{"pop3 errors", []Event{ps("+OK ready"), pc("STAT"), ps("-ERR log in first with USER and PASS"), pc("PASS x"), ps("-ERR [IN-USE] mailbox of bbb is in use")},
			[]string{"", "", "log in with USER and PASS", "", "another session"}},
		{"internal", []Event{{Kind: Internal, Line: "MX look-up: sina.com is served by smtp.sina.com"}},
			[]string{"DNS query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAnnotator()
			for i, e := range tt.events {
				a.Annotate(&e)
				if !strings.Contains(e.Note, tt.want[i]) {
					t.Errorf("line %d %q: note %q lacks %q", i, e.Line, e.Note, tt.want[i])
				}
			}
		})
	}
}

func TestAnnotatorKeepsSessionsApart(t *testing.T) {
	a := NewAnnotator()
	one := c("AUTH LOGIN")
	one.Session = "s1"
	a.Annotate(&one)
	other := c("Z2FjbA==")
	other.Session = "s2"
	a.Annotate(&other)
	if !strings.Contains(other.Note, "not an SMTP command") {
		t.Errorf("s2's line was taken as an AUTH answer of s1: %q", other.Note)
	}
}

func TestAnnotatorForgetsEndedSessions(t *testing.T) {
	a := NewAnnotator()
	for _, e := range []Event{c("EHLO x"), s("250 ok"), c("QUIT"), s("221 2.0.0 bye"), pc("QUIT"), ps("+OK bye")} {
		e.Session = "s1"
		a.Annotate(&e)
	}
	for _, e := range []Event{ps("+OK ready"), pc("QUIT"), ps("+OK bye")} {
		e.Session = "s2"
		a.Annotate(&e)
	}
	for k := range a.sessions {
		if strings.HasPrefix(k, "s2|") || strings.HasPrefix(k, "s1|SMTP") {
			t.Errorf("ended conversation %q kept", k)
		}
	}
}
