package smtp

import (
	"fmt"
	"strings"
	"testing"

	"maillab/trace/proto"
)

// line is one line of a scripted session and what its mark must say.
type line struct {
	client bool
	text   string
	want   string // "key=value" facts the mark must show, space separated
}

func c(text, want string) line { return line{true, text, want} }
func s(text, want string) line { return line{false, text, want} }

// facts renders a mark as the key=value pairs the tests look for.
func facts(m proto.Mark) map[string]string {
	f := map[string]string{
		"kind": string(m.Kind), "verb": m.Verb, "reply": string(m.Reply), "status": m.Status,
		"secret": fmt.Sprint(m.Secret), "challenge": fmt.Sprint(m.Challenge), "claimed": m.Claimed,
		"login": string(m.Login), "message": m.Message, "sender": m.Sender, "recipient": m.Recipient,
		"final": fmt.Sprint(m.Final), "tlsnext": fmt.Sprint(m.TLSNext), "ends": fmt.Sprint(m.Ends),
		"answers": m.Answers,
	}
	if m.Content != nil {
		f["field"], f["header"], f["stuffed"] = m.Content.Field, fmt.Sprint(m.Content.Header), fmt.Sprint(m.Content.Stuffed)
		f["encoding"] = m.Content.Encoding
	}
	return f
}

// play feeds a script to a Follower and checks every mark.
func play(t *testing.T, f *Follower, script []line) {
	t.Helper()
	for i, l := range script {
		var m proto.Mark
		if l.client {
			m = f.Client(l.text, len(l.text)+2)
		} else {
			m = f.Server(l.text, len(l.text)+2, "")
		}
		got := facts(m)
		for _, w := range strings.Fields(l.want) {
			k, v, _ := strings.Cut(w, "=")
			v = strings.ReplaceAll(v, "_", " ")
			if got[k] != v {
				t.Errorf("line %d %q: %s = %q, want %q", i, l.text, k, got[k], v)
			}
		}
	}
}

func TestFollowerMarks(t *testing.T) {
	tests := []struct {
		name   string
		script []line
		state  State
	}{
		{"seed session", []line{
			s("220 smtp.sohu.com ESMTP maillab sandbox ready", "kind=reply reply=smtp.greeting verb= final=true"),
			c("EHLO me", "kind=command verb=EHLO secret=false"),
			s("250-smtp.sohu.com greets me", "verb=EHLO final=false reply=smtp.hello"),
			s("250 HELP", "verb=EHLO final=true reply=smtp.hello"),
			c("AUTH LOGIN", "verb=AUTH secret=false"),
			s("334 VXNlcm5hbWU6", "status=334 login="),
			c("Z2FjbA==", "challenge=true secret=true claimed=gacl verb="),
			s("334 UGFzc3dvcmQ6", "claimed=gacl"),
			c("MTIzNDU2", "challenge=true secret=true claimed=gacl"),
			s("235 2.7.0 authentication successful", "login=ok claimed=gacl reply=smtp.auth-ok answers="),
			c("MAIL FROM:<gacl@sohu.com>", "verb=MAIL message=M1"),
			s("250 2.1.0 sender <gacl@sohu.com> OK", "message=M1 sender=gacl@sohu.com"),
			c("RCPT TO:<bbb@sina.com>", "message=M1"),
			s("250 2.1.5 recipient <bbb@sina.com> OK, will relay to smtp.sina.com", "message=M1 recipient=bbb@sina.com"),
			c("DATA", "message=M1"),
			s("354 start mail input; end with <CRLF>.<CRLF>", "message=M1 verb=DATA"),
			c("Subject: hi", "kind=data message=M1 field=subject header=true"),
			c("", "kind=data"),
			c("..dot", "kind=data stuffed=true header=false"),
			c(".", "kind=data message=M1"),
			s("250 2.0.0 OK, message accepted, queued as X", "message=M1 verb=. ends=true"),
			c("NOOP", "message="),
			s("250 2.0.0 OK", "message="),
			c("QUIT", ""),
			s("221 2.0.0 smtp.sohu.com closing connection, bye", "reply=smtp.bye"),
		}, State{Greeted: true, Helo: true, ESMTP: true, Authenticated: true, Account: "gacl", Sent: 1, Closed: true}},

		{"pipelined from nc, before the greeting", []line{
			c("EHLO nc", "verb=EHLO"),
			c("AUTH LOGIN", "verb=AUTH"),
			c("Z2FjbA==", "secret=true challenge=true claimed=gacl"),
			c("MTIzNDU2", "secret=true challenge=true"),
			c("MAIL FROM:<gacl@sohu.com>", "verb=MAIL secret=false message=M1"),
			c("RCPT TO:<bbb@sina.com>", "verb=RCPT"),
			c("DATA", "verb=DATA"),
			c("Subject: x", "kind=data field=subject"),
			c("QUIT is body here", "kind=data"),
			c(".", "kind=data"),
			c("QUIT", "kind=command verb=QUIT"),
			s("220 srv ESMTP", "verb= reply="),
			s("250 srv greets nc", "verb=EHLO"),
			s("334 VXNlcm5hbWU6", "verb=AUTH"),
			s("334 UGFzc3dvcmQ6", "verb= claimed=gacl"),
			s("235 2.7.0 authentication successful", "login=ok"),
			s("250 2.1.0 sender <gacl@sohu.com> OK", "verb=MAIL sender=gacl@sohu.com message=M1"),
			s("250 2.1.5 recipient <bbb@sina.com> OK", "verb=RCPT recipient=bbb@sina.com"),
			s("354 go ahead", "verb=DATA"),
			s("250 2.0.0 OK, message accepted, queued as X", "verb=. ends=true"),
			s("221 2.0.0 bye", "verb=QUIT"),
		}, State{Greeted: true, Helo: true, ESMTP: true, Authenticated: true, Account: "gacl", Sent: 1, Closed: true}},

		{"a password typed after a failed login is a secret until the next reply", []line{
			s("220 srv", ""),
			c("EHLO me", ""), s("250 srv greets me", ""),
			c("AUTH LOGIN", ""), s("334 VXNlcm5hbWU6", ""),
			c("s07", "secret=true claimed="),
			s("501 5.5.2 cannot decode Base64 answer", "login=failed secret=true"),
			c("404242", "secret=true verb="),
			s("500 5.5.1 command not recognized: 404242", "secret=true status=500"),
			c("NOOP", "secret=false"),
			s("250 2.0.0 OK", "secret=false"),
		}, State{Greeted: true, Helo: true, ESMTP: true}},

		{"a password is never claimed as the user name", []line{
			s("220 srv", ""),
			c("AUTH LOGIN", ""), s("334 VXNlcm5hbWU6", ""),
			c("s02", "secret=true claimed="),
			s("334 UGFzc3dvcmQ6", "claimed="),
			c("NDg0MDU0", "secret=true claimed="),
			s("535 5.7.8 authentication credentials invalid", "login=failed claimed="),
		}, State{Greeted: true}},

		{"plain with an initial response, then a wrong one", []line{
			s("220 srv", ""),
			c("AUTH PLAIN AHMwNwA0MDQyNDI=", "secret=true claimed=s07 verb=AUTH"),
			s("535 5.7.8 authentication credentials invalid", "login=failed claimed=s07"),
			c("AUTH PLAIN", "secret=true"), // right after a failure: it might have been the password
			s("334 ", ""),
			c("AGdhY2wAMTIzNDU2", "secret=true challenge=true claimed=gacl"),
			s("235 2.7.0 authentication successful", "login=ok claimed=gacl"),
		}, State{Greeted: true, Authenticated: true, Account: "gacl"}},

		{"refused MAIL ends the journey; RSET ends a transaction", []line{
			s("220 srv", ""),
			c("MAIL FROM:<a@b.c>", "message=M1"),
			s("503 5.5.1 bad sequence of commands: say HELO or EHLO first", "message=M1 ends=true sender="),
			c("EHLO me", "message="), s("250 srv greets me", ""),
			c("MAIL FROM:<>", "message=M2"),
			s("250 2.1.0 sender <> OK", "message=M2 sender=<>"),
			c("RSET", "message=M2"),
			s("250 2.0.0 OK, transaction reset", "message=M2 ends=true"),
			c("MAIL FROM:<x@y.z>", "message=M3"),
		}, State{Greeted: true, Helo: true, ESMTP: true}},

		{"refused DATA: the next line is a command", []line{
			s("220 srv", ""),
			c("DATA", ""), s("503 5.5.1 bad sequence of commands: need MAIL FROM and RCPT TO before DATA", "verb=DATA"),
			c("RSET", "kind=command verb=RSET"),
		}, State{Greeted: true}},

		{"STARTTLS", []line{
			s("220 srv", ""), c("STARTTLS", "verb=STARTTLS"), s("220 2.0.0 ready to start TLS", "tlsnext=true"),
		}, State{Greeted: true}},

		{"an overlong line is no command", []line{
			s("220 srv", ""), c("MAIL FROM:<"+strings.Repeat("x", 600)+"@y.z>", "verb= message="),
		}, State{Greeted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			f := NewFollower(proto.Config{NewMessage: func() string { n++; return fmt.Sprintf("M%d", n) }})
			play(t, f, tt.script)
			if got := f.State(); got != tt.state {
				t.Errorf("state %+v, want %+v", got, tt.state)
			}
		})
	}
}

// TestServerNamesTheMessage: on the server's side the server names the
// journey when it accepts MAIL, before its answer; the answer and every
// later line of the transaction carry it.
func TestServerNamesTheMessage(t *testing.T) {
	f := NewFollower(proto.Config{})
	play(t, f, []line{s("220 srv", ""), c("EHLO me", ""), s("250 srv greets me", ""),
		c("MAIL FROM:<a@b.c>", "message="), c("RCPT TO:<bbb@sina.com>", "message=")})
	f.SetMessage("J7")
	play(t, f, []line{
		s("250 2.1.0 sender <a@b.c> OK", "message=J7"),
		s("250 2.1.5 recipient <bbb@sina.com> OK", "message="), // pipelined before the server named it
		c("DATA", "message=J7"), s("354 go", "message=J7"),
		c(".", "message=J7"), s("250 2.0.0 OK, message accepted, queued as J7", "message=J7 ends=true"),
		c("NOOP", "message="),
	})
}

// TestRestartForgetsAfterTLS: after STARTTLS the conversation starts over
// (RFC 3207 4.2): no HELO, no login; no greeting comes again.
func TestRestartForgetsAfterTLS(t *testing.T) {
	f := NewFollower(proto.Config{})
	play(t, f, []line{s("220 srv", ""), c("EHLO me", ""), s("250 srv greets me", ""),
		c("AUTH PLAIN AGdhY2wAMTIzNDU2", ""), s("235 2.7.0 authentication successful", "login=ok")})
	f.Restart()
	play(t, f, []line{c("EHLO me", "verb=EHLO"), s("250 srv greets me", "verb=EHLO")})
	if st := f.State(); st.Authenticated || !st.Helo {
		t.Errorf("after TLS: %+v", st)
	}
}

// TestPendingIsBounded: a client that pipelines without end costs at most
// maxPending lines.
func TestPendingIsBounded(t *testing.T) {
	f := NewFollower(proto.Config{})
	for range 5 * maxPending {
		f.Client("NOOP", 6)
	}
	if len(f.pending) != maxPending {
		t.Errorf("%d lines wait for answers", len(f.pending))
	}
}

// FuzzFollower: any interleaving of lines never panics and keeps the
// follower's memory bounded.
func FuzzFollower(f *testing.F) {
	f.Add("220 x\nEHLO a\n250 ok\nAUTH LOGIN\n334 VXNlcm5hbWU6\nZ2FjbA==\nMAIL FROM:<>\n.\nDATA\n354 go\n..x\n.\n", "ccsccsscsscsc")
	f.Add("AUTH PLAIN\n334 \n*\n501 5.7.0\n", "csss")
	f.Fuzz(func(t *testing.T, lines, sides string) {
		fl := NewFollower(proto.Config{NewMessage: func() string { return "M" }})
		for i, l := range strings.Split(lines, "\n") {
			if i < len(sides) && sides[i] == 's' {
				fl.Server(l, len(l)+2, "")
			} else {
				fl.Client(l, len(l)+2)
			}
		}
		if len(fl.pending) > maxPending {
			t.Fatalf("%d pending", len(fl.pending))
		}
	})
}
