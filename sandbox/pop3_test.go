package sandbox

import (
	"time"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"

	"strings"
	"testing"
)

// seedMailbox stores n small messages in bbb@sina.com directly.
func seedMailbox(t *testing.T, sb *Sandbox, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		msg := "Subject: test\r\n\r\nline one\r\n.dotted\r\nline three\r\n"
		if _, err := sb.Store().Deliver(Address{"bbb", "sina.com"}, []byte(msg), Meta{}); err != nil {
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

// TestPOP3ReconnectRightAfterQuit: the mailbox lock is released before
// +OK to QUIT is sent, so the moment a client has read it, the mailbox
// is free: taken here without any wait.
func TestPOP3ReconnectRightAfterQuit(t *testing.T) {
	sb := startTestSandbox(t)
	bbb := Address{"bbb", "sina.com"}
	for range 20 {
		c := pop3LoggedIn(t, sb, "sina.com", "bbb")
		c.cmd("QUIT", "+OK")
		unlock, ok := sb.locks.tryLock(bbb)
		if !ok {
			t.Fatal("+OK to QUIT was read while the mailbox was still locked")
		}
		unlock()
	}
}

// TestPOP3LoginWaitsForTheLock: a login that finds the mailbox locked
// waits (up to lockWait) for the holder to let go, and gets in when it
// does: a client that drops its connection and logs in again at once is
// not told [IN-USE] by its own old session. Held past the wait, the
// answer is [IN-USE].
func TestPOP3LoginWaitsForTheLock(t *testing.T) {
	sb := startTestSandbox(t)
	bbb := Address{"bbb", "sina.com"}
	unlock, ok := sb.locks.tryLock(bbb)
	if !ok {
		t.Fatal("could not take the lock")
	}
	c := dial(t, pop3Addr(t, sb, "sina.com"))
	c.expect("+OK")
	c.cmd("USER bbb", "+OK")
	c.send("PASS 123456")
	sandboxtest.Eventually(t, 5*time.Second, "the login to wait for the lock", func() bool { return sb.locks.waiters.Load() == 1 })
	unlock()
	c.expect("+OK bbb@sina.com has")
	c.cmd("QUIT", "+OK")

	held, _ := sb.locks.tryLock(bbb)
	defer held()
	late := dial(t, pop3Addr(t, sb, "sina.com"))
	late.expect("+OK")
	late.cmd("USER bbb", "+OK")
	late.cmd("PASS 123456", "-ERR [IN-USE]")
}

// TestMailboxLockWait: the lock itself: a waiter wakes at the release,
// and gives up at its timeout.
func TestMailboxLockWait(t *testing.T) {
	var locks mailboxLocks
	a := Address{"bbb", "sina.com"}
	unlock, _ := locks.tryLock(a)
	if _, ok := locks.lock(a, 20*time.Millisecond); ok {
		t.Fatal("a held lock was granted")
	}
	got := make(chan func(), 1)
	go func() {
		u, _ := locks.lock(a, time.Minute)
		got <- u
	}()
	sandboxtest.Eventually(t, 5*time.Second, "a waiter", func() bool { return locks.waiters.Load() == 1 })
	unlock()
	if u := sandboxtest.Receive(t, got, 5*time.Second, "the waiter to get the lock"); u == nil {
		t.Fatal("the waiter did not get the lock")
	} else {
		u()
	}
}
