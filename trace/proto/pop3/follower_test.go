package pop3

import (
	"fmt"
	"strings"
	"testing"

	"maillab/trace/proto"
)

type line struct {
	client bool
	text   string
	want   string // "key=value" facts the mark must show
}

func c(text, want string) line { return line{true, text, want} }
func s(text, want string) line { return line{false, text, want} }

func facts(m proto.Mark) map[string]string {
	f := map[string]string{
		"kind": string(m.Kind), "verb": m.Verb, "reply": string(m.Reply), "status": m.Status,
		"secret": fmt.Sprint(m.Secret), "claimed": m.Claimed, "login": string(m.Login), "message": m.Message,
		"recipient": m.Recipient, "final": fmt.Sprint(m.Final), "tlsnext": fmt.Sprint(m.TLSNext), "loggedin": fmt.Sprint(m.LoggedIn),
	}
	if m.Content != nil {
		f["field"], f["stuffed"] = m.Content.Field, fmt.Sprint(m.Content.Stuffed)
	}
	return f
}

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
			if got[k] != v {
				t.Errorf("line %d %q: %s = %q, want %q", i, l.text, k, got[k], v)
			}
		}
	}
}

func TestFollowerMarks(t *testing.T) {
	f := NewFollower(proto.Config{})
	play(t, f, []line{
		s("+OK pop3.sina.com POP3 maillab sandbox ready", "reply=pop3.greeting final=true"),
		c("USER bbb", "verb=USER claimed=bbb secret=false"),
		s("+OK now send PASS for bbb", "reply=pop3.user-ok"),
		c("PASS 123456", "verb=PASS secret=true claimed=bbb loggedin=false"),
	})
	f.SetMailbox("bbb@sina.com", []string{"J1", "J2"})
	play(t, f, []line{
		s("+OK bbb@sina.com has 2 messages (900 octets)", "reply=pop3.logged-in login=ok claimed=bbb loggedin=true"),
		c("LIST", "message="),
		s("+OK 2 messages (900 octets)", "final=false"),
		s("1 450", "kind=data verb=LIST"),
		s("2 450", "kind=data"),
		s(".", "kind=data final=true"),
		c("RETR 2", "message=J2 recipient=bbb@sina.com"),
		s("+OK 450 octets", "message=J2 final=false reply=pop3.retr"),
		s("Subject: hi", "kind=data message=J2 field=subject"),
		s("", "kind=data"),
		s("..dot", "kind=data stuffed=true"),
		s(".", "kind=data final=true"),
		c("DELE 1", "message=J1"),
		s("+OK message 1 marked for deletion", "message=J1"),
		c("RETR 9", "message="),
		s("-ERR no such message, only 2 in the maildrop", "reply=pop3.no-such-message"),
		c("QUIT", "verb=QUIT loggedin=true"),
		s("+OK pop3.sina.com signing off (1 message left)", "reply=pop3.bye-update"),
	})
	if st := f.State(); !st.LoggedIn || !st.Closed || st.Account != "bbb" {
		t.Errorf("state %+v", st)
	}
}

func TestFailedLoginAndPipelining(t *testing.T) {
	f := NewFollower(proto.Config{})
	play(t, f, []line{
		c("USER s05", "claimed=s05"), c("PASS 999999", "secret=true claimed=s05"), c("STAT", "verb=STAT"),
		s("+OK ready", "verb="),
		s("+OK now send PASS for s05", "verb=USER"),
		s("-ERR [AUTH] invalid user name or password", "verb=PASS login=failed claimed=s05 secret=true"),
		s("-ERR log in first with USER and PASS", "verb=STAT login="),
	})
}

func TestSTLSAndRestart(t *testing.T) {
	f := NewFollower(proto.Config{})
	play(t, f, []line{s("+OK ready", ""), c("STLS", ""), s("+OK begin TLS negotiation", "tlsnext=true")})
	f.Restart()
	play(t, f, []line{c("CAPA", "verb=CAPA"), s("+OK capability list follows", "final=false"), s("USER", "kind=data"), s(".", "final=true")})
}

func FuzzFollower(f *testing.F) {
	f.Add("+OK x\nUSER a\nPASS b\n+OK\n+OK\nRETR 1\n+OK\n..x\n.\n", "sccssc")
	f.Fuzz(func(t *testing.T, lines, sides string) {
		fl := NewFollower(proto.Config{})
		fl.SetMailbox("a@b.c", []string{"", "J"})
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
