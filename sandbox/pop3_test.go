package sandbox

import (
	"maillab/trace"

	"strings"
	"testing"
)

// seedMailbox stores n small messages in bbb@sina.com directly.
func seedMailbox(t *testing.T, sb *Sandbox, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		msg := "Subject: test\r\n\r\nline one\r\n.dotted\r\nline three\r\n"
		if _, err := sb.Store().Deliver(Address{"bbb", "sina.com"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPOP3Commands(t *testing.T) {
	type exchange struct{ send, want string }
	tests := []struct {
		name  string
		login bool
		steps []exchange
	}{
		{"user pass", false, []exchange{{"USER bbb", "+OK"}, {"PASS 123456", "+OK bbb@sina.com has 2 messages"}}},
		{"full address", false, []exchange{{"USER bbb@sina.com", "+OK"}, {"PASS 123456", "+OK"}}},
		{"wrong password", false, []exchange{{"USER bbb", "+OK"}, {"PASS 654321", "-ERR [AUTH]"}}},
		{"pass before user", false, []exchange{{"PASS 123456", "-ERR send USER first"}}},
		{"stat before login", false, []exchange{{"STAT", "-ERR log in first"}}},
		{"apop unsupported", false, []exchange{{"APOP bbb abc", "-ERR APOP not supported"}}},
		{"unknown", false, []exchange{{"HELLO", "-ERR unknown command"}}},
		{"quit before login", false, []exchange{{"QUIT", "+OK pop3.sina.com signing off"}}},
		{"long line", false, []exchange{{"USER " + strings.Repeat("b", 300), "-ERR line too long"}, {"NOOP", "-ERR log in first"}}},
		{"stat", true, []exchange{{"STAT", "+OK 2 "}}},
		{"list one", true, []exchange{{"LIST 2", "+OK 2 "}}},
		{"list missing", true, []exchange{{"LIST 3", "-ERR no such message"}}},
		{"list bad", true, []exchange{{"LIST x", "-ERR syntax"}}},
		{"uidl one", true, []exchange{{"UIDL 1", "+OK 1 "}}},
		{"dele", true, []exchange{{"DELE 1", "+OK message 1 marked"}, {"DELE 1", "-ERR message 1 already deleted"}, {"RETR 1", "-ERR message 1 already deleted"}, {"STAT", "+OK 1 "}, {"RSET", "+OK maildrop has 2 messages"}, {"STAT", "+OK 2 "}}},
		{"noop", true, []exchange{{"NOOP", "+OK"}}},
		{"user again", true, []exchange{{"USER bbb", "-ERR already logged in"}}},
		{"top bad", true, []exchange{{"TOP 1", "-ERR syntax"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startTestSandbox(t)
			seedMailbox(t, sb, 2)
			var c *client
			if tt.login {
				c = pop3LoggedIn(t, sb, "sina.com", "bbb")
			} else {
				c = dial(t, pop3Addr(t, sb, "sina.com"))
				c.expect("+OK pop3.sina.com")
			}
			for _, ex := range tt.steps {
				c.cmd(ex.send, ex.want)
			}
		})
	}
}

func TestPOP3MultiLine(t *testing.T) {
	sb := startTestSandbox(t)
	seedMailbox(t, sb, 2)
	c := pop3LoggedIn(t, sb, "sina.com", "bbb")

	c.cmd("CAPA", "+OK")
	if capa := strings.Join(c.dotBody(), " "); !strings.Contains(capa, "TOP UIDL RESP-CODES") {
		t.Errorf("CAPA = %q", capa)
	}
	c.cmd("LIST", "+OK 2 messages")
	if list := c.dotBody(); len(list) != 2 || list[1] != "2 48" {
		t.Errorf("LIST = %q", list)
	}
	c.cmd("UIDL", "+OK")
	if uidl := c.dotBody(); len(uidl) != 2 || uidl[0] == uidl[1] {
		t.Errorf("UIDL = %q", uidl)
	}
	c.cmd("TOP 1 1", "+OK")
	if top := c.dotBody(); strings.Join(top, "|") != "Subject: test||line one" {
		t.Errorf("TOP 1 1 = %q", top)
	}
	c.cmd("RETR 2", "+OK 48 octets")
	if got := strings.Join(c.dotBody(), "|"); got != "Subject: test||line one|.dotted|line three" {
		t.Errorf("RETR = %q", got)
	}
}

func TestPOP3DeleteOnlyOnQuit(t *testing.T) {
	sb := startTestSandbox(t)
	seedMailbox(t, sb, 2)

	w := watch(sb)
	dropped := pop3LoggedIn(t, sb, "sina.com", "bbb")
	dropped.cmd("DELE 1", "+OK")
	dropped.conn.Close()
	w.waitFor(t, trace.Abandoned, 1) // and the lock is released

	c := pop3LoggedIn(t, sb, "sina.com", "bbb")
	c.cmd("STAT", "+OK 2 ")
	c.cmd("DELE 1", "+OK")
	c.cmd("QUIT", "+OK pop3.sina.com signing off (1 message left)")
	if infos, _ := sb.Store().List(Address{"bbb", "sina.com"}); len(infos) != 1 {
		t.Fatalf("after QUIT bbb has %d messages, want 1", len(infos))
	}
}

func TestPOP3MailboxLock(t *testing.T) {
	sb := startTestSandbox(t)
	first := pop3LoggedIn(t, sb, "sina.com", "bbb")
	second := dial(t, pop3Addr(t, sb, "sina.com"))
	second.expect("+OK")
	second.cmd("USER bbb", "+OK")
	second.cmd("PASS 123456", "-ERR [IN-USE]")
	first.cmd("QUIT", "+OK")
	// another user's mailbox is not locked
	pop3LoggedIn(t, sb, "sina.com", "gacl")
}

func TestUIDLForm(t *testing.T) {
	for _, id := range []string{"tp5mj4.1", strings.Repeat("k", 70), strings.Repeat("k", 71), "has space", ""} {
		u := uidl(id)
		if len(u) < 1 || len(u) > 70 || strings.ContainsAny(u, " \t\r\n") {
			t.Errorf("uidl(%q) = %q", id, u)
		}
		if uidl(id) != u {
			t.Errorf("uidl(%q) is not stable", id)
		}
	}
	if uidl("tp5mj4.1") != "tp5mj4.1" {
		t.Error("a valid id should be kept as it is")
	}
}

// TestPOP3ReconnectRightAfterQuit: the lock is free as soon as +OK to QUIT
// has been read.
func TestPOP3ReconnectRightAfterQuit(t *testing.T) {
	sb := startTestSandbox(t)
	for i := 0; i < 50; i++ {
		c := pop3LoggedIn(t, sb, "sina.com", "bbb")
		c.cmd("QUIT", "+OK")
	}
}
