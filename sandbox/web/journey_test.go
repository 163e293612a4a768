package web

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
	"maillab/trace/proto"
)

// student is one student's SMTP session from an address of its own
// (127.0.0.N), as a class on many machines is.
type student struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialFrom(t testing.TB, sb *sandbox.Sandbox, n int, domain string, p proto.Name) *student {
	t.Helper()
	addr, _ := sb.Addr(domain, p)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+n))}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from 127.0.0.%d: %v", 10+n, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &student{t: t, conn: c, r: bufio.NewReader(c)}
}

// say sends a line ("" sends nothing) and checks the answer's start.
func (s *student) say(line, want string) {
	s.t.Helper()
	if line != "" {
		fmt.Fprintf(s.conn, "%s\r\n", line)
	}
	for {
		l, err := s.r.ReadString('\n')
		if err != nil || !strings.HasPrefix(l, want) {
			s.t.Fatalf("%q: want %s, got %q (%v)", line, want, l, err)
		}
		if len(l) < 4 || l[3] != '-' {
			return
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestClassJourneys: 30 students at once, each from its own address,
// send to a classmate at the other provider and fetch their own mail;
// every fourth first types a wrong password. Every event of a session that
// logged in as sNN carries that account from the login on; a failed try
// names sNN only as claimed; no journey's submission names two senders.
func TestClassJourneys(t *testing.T) {
	const students = 30
	sb, _, class := classroom(t, students)
	var mu sync.Mutex
	var events []trace.Event
	stop := sb.Events.Subscribe(func(e trace.Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	defer stop()
	byName := map[string]roster.Entry{}
	for _, e := range class {
		byName[e.Address()] = e
	}
	arrived := make(chan string, students)
	stored := sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Stored {
			arrived <- e.Recipient
		}
	})
	defer stored()

	g := sandboxtest.NewGroup(t)
	for i := 1; i <= students; i++ {
		g.Go(func(t testing.TB) {
			me := byName[fmt.Sprintf("s%02d@sohu.com", i)]
			if i%4 == 0 {
				s := dialFrom(t, sb, i, "sohu.com", proto.SMTP)
				s.say("", "220")
				s.say("EHLO pc"+fmt.Sprint(i), "250")
				s.say("AUTH PLAIN "+b64("\x00"+me.Account+"\x00wrong"), "535")
				s.say("QUIT", "221")
			}
			s := dialFrom(t, sb, i, "sohu.com", proto.SMTP)
			s.say("", "220")
			s.say("EHLO pc"+fmt.Sprint(i), "250")
			s.say("AUTH LOGIN", "334")
			s.say(b64(me.Account), "334")
			s.say(b64(me.Password), "235")
			s.say("MAIL FROM:<"+me.Address()+">", "250")
			s.say(fmt.Sprintf("RCPT TO:<s%02d@sina.com>", i%students+1), "250")
			s.say("DATA", "354")
			s.say(fmt.Sprintf("Subject: from %s\r\n\r\nhello\r\n.", me.Account), "250")
			s.say("QUIT", "221")
		})
	}
	g.Wait()
	for range students {
		sandboxtest.Receive(t, arrived, 20*time.Second, "every message stored")
	}
	for i := 1; i <= students; i++ {
		pop3Fetch(t, sb, byName[fmt.Sprintf("s%02d@sina.com", i)])
	}

	mu.Lock()
	defer mu.Unlock()
	checkAccounts(t, events)
	checkSenders(t, events)
}

// checkAccounts: a session's events carry no account until its login
// succeeds, then the same one; a refused login names the account tried
// only as claimed.
func checkAccounts(t *testing.T, events []trace.Event) {
	t.Helper()
	account := map[string]string{}
	failures := 0
	for _, e := range events {
		if e.Session == "" || e.Proto == "" {
			continue
		}
		if e.Login == proto.LoginFailed {
			failures++
			if e.Account != "" || !strings.HasPrefix(e.Claimed, "s") {
				t.Errorf("a failed login: account %q, claimed %q", e.Account, e.Claimed)
			}
		}
		was := account[e.Session]
		switch {
		case was == "" && e.Account != "":
			if e.Login != proto.LoginOK {
				t.Errorf("%s logged in as %s with login %q", e.Session, e.Account, e.Login)
			}
			account[e.Session] = e.Account
		case was != "" && e.Account != was:
			t.Errorf("%s logged in as %s, later an event names %q: %q", e.Session, was, e.Account, e.Line)
		}
	}
	if failures != 30/4 {
		t.Errorf("%d failed logins marked, want %d", failures, 30/4)
	}
}

// checkSenders: each journey's submission is one student's, and its
// envelope sender is that student.
func checkSenders(t *testing.T, events []trace.Event) {
	t.Helper()
	senders := map[string]map[string]bool{}
	for _, e := range events {
		if e.Message == "" || e.Hop != trace.Submission || e.Account == "" {
			continue
		}
		if senders[e.Message] == nil {
			senders[e.Message] = map[string]bool{}
		}
		senders[e.Message][e.Account] = true
		if e.Sender != "" && e.Sender != e.Account {
			t.Errorf("journey %s: sender %s, logged in as %s", e.Message, e.Sender, e.Account)
		}
	}
	if len(senders) != 30 {
		t.Errorf("%d journeys submitted, want 30", len(senders))
	}
	for j, who := range senders {
		if len(who) != 1 {
			t.Errorf("journey %s names senders %v", j, who)
		}
	}
}

// TestMaskingCannotBeWiped: 5,000 sessions that say EHLO as a provider's
// server and leave, while a student and the postmaster log in: neither
// password, nor its Base64, nor a note decoding it reaches /events.
// Masking reads each line's mark; there is no table to fill or mislead.
func TestMaskingCannotBeWiped(t *testing.T) {
	sb, page, class := classroom(t, 1)
	if testing.Short() {
		t.Skip("5,000 sessions take a few seconds")
	}
	postmaster, _ := roster.NewPassword()
	sb.World().SetPassword(sandbox.Postmaster, postmaster)
	g := sandboxtest.NewGroup(t)
	for w := range 10 {
		g.Go(func(t testing.TB) {
			for range 500 {
				s := dialFrom(t, sb, 100+w, "sohu.com", proto.SMTP)
				s.say("", "220")
				s.say("EHLO smtp.sohu.com", "250")
				s.say("QUIT", "221")
				s.conn.Close()
			}
		})
	}
	g.Wait()
	sandboxtest.Eventually(t, 20*time.Second, "the page to take in the flood", func() bool { return page.queue.Len() == 0 })
	shared := openStream(t, fmt.Sprintf("%sevents?since=%d", page.URL(), page.ring.last()), nil)
	me := class[0]
	s := dialFrom(t, sb, 1, "sohu.com", proto.SMTP)
	s.say("", "220")
	s.say("EHLO pc1", "250")
	s.say("AUTH LOGIN", "334")
	s.say(b64(me.Account), "334")
	s.say(b64(me.Password), "235")
	s.say("QUIT", "221")
	pm := dialFrom(t, sb, 2, "sina.com", proto.POP3)
	pm.say("", "+OK")
	pm.say("USER postmaster", "+OK")
	pm.say("PASS "+postmaster, "+OK")
	pm.say("QUIT", "+OK")

	seen := fmt.Sprint(shared.until(t, func(e map[string]any) bool {
		return e["proto"] == "POP3" && e["reply"] == "pop3.bye-update"
	}))
	for _, secret := range []string{me.Password, b64(me.Password), postmaster} {
		if strings.Contains(seen, secret) {
			t.Errorf("the shared page shows %q", secret)
		}
	}
	if !strings.Contains(seen, "PASS ••••••") || !strings.Contains(seen, "••••••") {
		t.Error("the hidden lines are not on the page at all")
	}
}
