package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// hostile is every control character, DEL, some C1 controls and every
// bidirectional override, as a student might type them.
var hostile = func() string {
	var b strings.Builder
	for c := 0; c < 0x20; c++ {
		if c != '\r' && c != '\n' {
			b.WriteByte(byte(c))
		}
	}
	b.WriteString("\x7f\u0085\u009b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x9b\xff")
	return b.String()
}()

// recorder keeps every Event a sandbox publishes.
type recorder struct {
	mu     sync.Mutex
	events []trace.Event
}

func record(sb *Sandbox) *recorder {
	r := &recorder{}
	sb.Events.Subscribe(func(e trace.Event) {
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	})
	return r
}

func (r *recorder) all() []trace.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]trace.Event(nil), r.events...)
}

// TestControlCharactersNeverReachTheTerminal: a student sends control
// characters and bidi overrides in a command, a header, a body line and an
// encoded-word (decoded in the notes). Every renderer for people shows them
// escaped; JSON keeps them exact.
func TestControlCharactersNeverReachTheTerminal(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.TapServers = true })
	rec := record(sb)
	word := "=?UTF-8?B?" + b64("\x1b]0;PWNED\x07\u202eevil") + "?="
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("EHLO x"+strings.ReplaceAll(hostile, "\t", ""), "250")
	c.cmd("NOOP"+hostile, "500")
	c.cmd("MAIL FROM:<a@b.c>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: " + word + "\r\nX-Evil: " + hostile + "\r\n\r\n\rS: 250 forged\r\nbody " + hostile + "\r\n.")
	c.expect("250 2.0.0")
	c.cmd("QUIT", "221")
	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	p.send("RETR 1")
	p.expect("+OK")
	p.dotBody()
	p.cmd("QUIT", "+OK")

	events := rec.all()
	ann := trace.NewAnnotator()
	for i := range events {
		ann.Annotate(&events[i])
	}
	for _, tt := range []struct {
		format string
		opts   trace.RenderOptions
	}{
		{"text", trace.RenderOptions{}}, {"text", trace.RenderOptions{Color: true}},
		{"text", trace.RenderOptions{Wiretap: true, Color: true}}, {"markdown", trace.RenderOptions{}},
	} {
		var out bytes.Buffer
		r, _ := trace.NewRenderer(&out, tt.format, tt.opts)
		for _, e := range events {
			r.Render(e)
		}
		r.Close()
		if err := trace.CheckVisible(out.Bytes()); err != nil {
			t.Errorf("%s %+v lets a raw control through: %v", tt.format, tt.opts, err)
		}
		if !strings.Contains(out.String(), `\x1b`) || !strings.Contains(out.String(), `\u202e`) {
			t.Errorf("%s %+v does not show the escapes", tt.format, tt.opts)
		}
	}
	var out bytes.Buffer
	r, _ := trace.NewRenderer(&out, "json", trace.RenderOptions{})
	for _, e := range events {
		r.Render(e)
	}
	exact := false
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		exact = exact || strings.Contains(m["line"].(string), "\x1b\x1c\x1d")
	}
	if !exact {
		t.Error("JSON does not keep the line exact")
	}
}

// TestDroppedSessionsAreForgotten: 600 sessions that drop in the middle
// of DATA leave nothing behind: each session's Follower goes with its
// connection, the annotator keeps nothing, and the heap does not grow.
func TestDroppedSessionsAreForgotten(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.TapServers = true })
	ann := trace.NewAnnotator()
	var published, annotated atomic.Int64
	counting := sb.Events.Subscribe(func(trace.Event) { published.Add(1) })
	defer counting()
	q := sb.Events.SubscribeQueued("test", 1<<16, func(e trace.Event) { ann.Annotate(&e); annotated.Add(1) }, nil)
	caughtUp := func() {
		sandboxtest.Eventually(t, 10*time.Second, "the annotator to catch up", func() bool { return annotated.Load() >= published.Load() })
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	drop := func(n int) {
		for range n {
			c := smtpSessionGreeted(t, sb, "sina.com")
			c.cmd("MAIL FROM:<a@b.c>", "250")
			c.cmd("RCPT TO:<bbb@sina.com>", "250")
			c.cmd("DATA", "354")
			c.send("Subject: " + strings.Repeat("x", 2000) + "\r\nX-Long: " + strings.Repeat("y", 900))
			c.conn.Close()
		}
	}
	drop(50) // warm up
	caughtUp()
	before := heap()
	drop(600)
	sandboxtest.Eventually(t, 10*time.Second, "the servers to notice the drops", func() bool { return sb.sessionCount() == 0 })
	caughtUp()
	if grown := int64(heap()) - int64(before); grown > 4<<20 {
		t.Errorf("the heap grew by %d KiB after 600 dropped sessions", grown>>10)
	}
	q.Close(-1)
}

// TestDuplicateRecipientsGetOneCopy: naming one recipient a hundred
// times (in any letter case of the domain) stores one copy.
func TestDuplicateRecipientsGetOneCopy(t *testing.T) {
	sb := startTestSandbox(t)
	stored, stop := waitStored(sb)
	defer stop()
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("MAIL FROM:<a@b.c>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250 2.1.5 recipient")
	for i := range 99 {
		domain := "sina.com"
		if i%2 == 0 {
			domain = "SINA.com"
		}
		c.cmd("RCPT TO:<bbb@"+domain+">", "250 2.1.5 recipient <bbb@sina.com> already given")
	}
	c.cmd("DATA", "354")
	c.send("Subject: once\r\n\r\nbody\r\n.")
	c.expect("250 2.0.0")
	waitFor(t, stored)
	infos, _ := sb.Store().List(Address{"bbb", "sina.com"})
	if len(infos) != 1 {
		t.Errorf("%d copies stored", len(infos))
	}
}

// TestMaildirIsLocked: a second sandbox on the same directory (and the
// same domain) is refused, naming the process that holds it.
func TestMaildirIsLocked(t *testing.T) {
	dir := t.TempDir()
	startTestSandbox(t, func(c *Config) { c.Maildir = dir })
	_, err := Start(Config{RandomPorts: true, Maildir: dir})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("second sandbox on one maildir: %v", err)
	}
	other, err := Start(Config{RandomPorts: true, Maildir: t.TempDir()})
	if err != nil {
		t.Fatalf("a sandbox on its own directory: %v", err)
	}
	other.Close()
}

// TestSpoolLeftoversAreSwept: temporary files and message files without
// metadata, left by a crash, are removed at start.
func TestSpoolLeftoversAreSwept(t *testing.T) {
	dir := t.TempDir()
	spool := filepath.Join(dir, ".queue", "sohu.com")
	os.MkdirAll(spool, 0o700)
	for _, name := range []string{"X1-sina.com.msg.tmp", "X2-sina.com.json.tmp", "X3-sina.com.msg"} {
		os.WriteFile(filepath.Join(spool, name), []byte("half"), 0o600)
	}
	sb := startTestSandbox(t, func(c *Config) { c.Maildir = dir })
	left, _ := os.ReadDir(spool)
	if len(left) != 0 || sb.QueueLen("sohu.com") != 0 {
		t.Errorf("left in the spool: %v", left)
	}
}

// TestSenderMustBeTheLogin: a logged-in user sends only as themselves,
// and the Received line names who logged in; --allow-spoofing lifts it.
func TestSenderMustBeTheLogin(t *testing.T) {
	sb := startTestSandbox(t)
	c := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	c.cmd("MAIL FROM:<bbb@sina.com>", "553 5.7.1 <bbb@sina.com>: sender address rejected, not owned by gacl@sohu.com")
	c.cmd("MAIL FROM:<GACL@sohu.com>", "250")
	c.cmd("RSET", "250")
	c.cmd("MAIL FROM:<>", "250")
	c.cmd("RCPT TO:<aaa@sohu.com>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: who\r\n\r\nbody\r\n.")
	c.expect("250")
	infos, _ := sb.Store().List(Address{"aaa", "sohu.com"})
	msg, _ := sb.Store().Read(Address{"aaa", "sohu.com"}, infos[0].ID)
	if !bytes.Contains(msg, []byte("(authenticated as gacl@sohu.com)")) || !bytes.HasPrefix(msg, []byte("Return-Path: <>\r\n")) {
		t.Errorf("stored message:\n%s", msg)
	}

	spoof := startTestSandbox(t, func(c *Config) { c.AllowSpoofing = true })
	s := smtpAuthenticated(t, spoof, "sohu.com", "gacl")
	s.cmd("MAIL FROM:<bbb@sina.com>", "250")
}

// TestRelayAcceptsWhatSubmissionAccepted: a message just under the limit
// is accepted by sohu and still fits at sina with sohu's Received: line.
func TestRelayAcceptsWhatSubmissionAccepted(t *testing.T) {
	const limit = 4096
	sb := startTestSandbox(t, func(c *Config) { c.MaxMessageSize = limit })
	w := watch(sb)
	c := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	body := "Subject: full\r\n\r\n" + strings.Repeat(strings.Repeat("z", 62)+"\r\n", 63)
	body += strings.Repeat("z", limit-len(body)-2-2) + "\r\n"
	if len(body) > limit-2 {
		t.Fatalf("the test message is %d octets", len(body))
	}
	c.send(body + ".")
	c.expect("250 2.0.0")
	w.waitFor(t, trace.Relayed, 1)
	if w.count(trace.Bounced) > 0 {
		t.Fatal("sina bounced what sohu accepted")
	}
}

// TestGuessingIsSlowedPerAccount: failures for one account from one
// address are answered ever later, really (each answer is timed against
// the delay announced), while another account's login is not slowed.
func TestGuessingIsSlowedPerAccount(t *testing.T) {
	sb := startTestSandbox(t)
	rec := record(sb)
	p := dial(t, pop3Addr(t, sb, "sina.com"))
	p.expect("+OK")
	var took []time.Duration
	for i := range 3 {
		p.cmd("USER bbb", "+OK")
		start := time.Now()
		p.cmd(fmt.Sprintf("PASS 00000%d", i), "-ERR [AUTH]")
		took = append(took, time.Since(start))
	}
	start := time.Now()
	pop3LoggedIn(t, sb, "sina.com", "gacl").cmd("QUIT", "+OK")
	if other := time.Since(start); other >= firstLoginDelay {
		t.Errorf("gacl's login took %s while bbb was being guessed", other)
	}
	var delays []time.Duration
	for _, e := range rec.all() {
		if e.Action == trace.LoginDelayed {
			if e.Facts.Mailbox != "bbb@sina.com" {
				t.Errorf("delayed the login of %s", e.Facts.Mailbox)
			}
			delays = append(delays, e.Facts.Wait)
		}
	}
	if len(delays) != 2 || delays[0] < firstLoginDelay || delays[0] >= delays[1] {
		t.Fatalf("delays announced after 3 failures: %v, want 2 growing from %s", delays, firstLoginDelay)
	}
	for i, d := range delays {
		if took[i+1] < d {
			t.Errorf("failure %d was announced as delayed %s but answered after %s", i+2, d, took[i+1])
		}
	}
}

// TestEmptyPOP3ListsHaveNoBlankLine: RFC 1939 section 5: one line per
// message, then ".", so an empty mailbox lists nothing at all.
func TestEmptyPOP3ListsHaveNoBlankLine(t *testing.T) {
	sb := startTestSandbox(t)
	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	for _, cmd := range []string{"LIST", "UIDL"} {
		p.cmd(cmd, "+OK")
		if l := p.line(); l != "." {
			t.Errorf("%s of an empty mailbox: %q before the end", cmd, l)
		}
	}
}

// dialFrom connects from a loopback address of its own (127.0.0.n), as a
// student on another machine does.
func dialFrom(t testing.TB, addr string, n int) *client {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from 127.0.0.%d: %v", addr, n, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// pop3Try logs in from 127.0.0.n and returns the answer to PASS and how
// long it took.
func pop3Try(t testing.TB, sb *Sandbox, n int, user, password string) (string, time.Duration) {
	t.Helper()
	c := dialFrom(t, pop3Addr(t, sb, "sina.com"), n)
	c.expect("+OK")
	c.cmd("USER "+user, "+OK")
	start := time.Now()
	c.send("PASS " + password)
	answer := c.line()
	took := time.Since(start)
	c.send("QUIT")
	return answer, took
}

// TestGuessingFromManyAddresses: failures for one account from many
// addresses add up: past the first few, each is answered late, whatever
// the address; an address that has logged in as the account before is
// never slowed by them.
func TestGuessingFromManyAddresses(t *testing.T) {
	sb := startTestSandbox(t)
	if answer, _ := pop3Try(t, sb, 40, "bbb", "123456"); !strings.HasPrefix(answer, "+OK") {
		t.Fatalf("bbb's own login: %q", answer)
	}
	var took []time.Duration
	for i := range accountFreeFailures + 2 {
		answer, d := pop3Try(t, sb, 50+i, "bbb", fmt.Sprint(900000+i))
		if !strings.HasPrefix(answer, "-ERR [AUTH]") {
			t.Fatalf("guess %d: %q", i, answer)
		}
		took = append(took, d)
	}
	if last := took[len(took)-1]; last < firstLoginDelay {
		t.Errorf("guesses from %d addresses were answered after %v: not slowed", len(took), took)
	}
	g := sandboxtest.NewGroup(t)
	g.Go(func(t testing.TB) { pop3Try(t, sb, 60, "bbb", "999999") }) // holds the account's turn for seconds
	sandboxtest.Eventually(t, 5*time.Second, "a guess to hold bbb's turn", func() bool {
		sb.throttle.mu.Lock()
		defer sb.throttle.mu.Unlock()
		acct := sb.throttle.accounts["bbb@sina.com"]
		return acct != nil && len(acct.turn) == 1
	})
	answer, d := pop3Try(t, sb, 40, "bbb", "123456")
	if !strings.HasPrefix(answer, "+OK") || d >= firstLoginDelay {
		t.Errorf("bbb's own address, while others guess: %q in %v", answer, d)
	}
	g.Wait()
}

// TestBusyAccountTurn: a turn not free within its wait is not taken (the
// login is told to try again later), and shutdown ends the wait.
func TestBusyAccountTurn(t *testing.T) {
	tt := &throttled{turn: make(chan struct{}, 1)}
	if !tt.take(context.Background(), time.Millisecond) {
		t.Fatal("a free turn was not taken")
	}
	if tt.take(context.Background(), 20*time.Millisecond) {
		t.Fatal("a held turn was taken")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if tt.take(ctx, time.Hour) {
		t.Fatal("a held turn was taken after the end")
	}
	tt.give()
	if !tt.take(context.Background(), time.Millisecond) {
		t.Fatal("a turn given back was not free")
	}
}

// TestForgedRelayIsMarked: a student who says EHLO smtp.sohu.com to sina
// and sends as gacl@sohu.com, a forged Received line and all, is no relay:
// the session is a submission (step 1, not 2), the message's own Received
// line says its sender is unverified, and the sandbox says so; the
// sandbox's own relay is believed.
func TestForgedRelayIsMarked(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.TapServers = true })
	rec := record(sb)
	c := dialFrom(t, smtpAddr(t, sb, "sina.com"), 80)
	c.expect("220")
	c.cmd("EHLO smtp.sohu.com", "250")
	c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	c.send("Received: from gacl (127.0.0.1 [127.0.0.1]) (authenticated as gacl@sohu.com)\r\n\tby smtp.sohu.com (maillab) with ESMTPA id 1\r\nSubject: trust me\r\n\r\nhi\r\n.")
	c.expect("250 2.0.0")
	c.cmd("QUIT", "221")
	infos, _ := sb.Store().List(Address{"bbb", "sina.com"})
	msg, _ := sb.Store().Read(Address{"bbb", "sina.com"}, infos[0].ID)
	top := string(msg[:bytes.Index(msg, []byte("\r\n\tby"))])
	if !strings.Contains(top, "(unverified sender: not logged in, and not from the relay of the provider its HELO names)") {
		t.Errorf("the forged message's own Received line:\n%s", msg)
	}
	unverified := 0
	for _, e := range rec.all() {
		if e.Action == trace.Unverified {
			unverified++
		}
		if e.Proto == trace.SMTP && e.Hop == trace.Relay {
			t.Errorf("the forger's session counts as a relay: %q", e.Line)
		}
	}
	if unverified != 1 {
		t.Errorf("%d unverified events, want 1", unverified)
	}

	w := watch(sb) // before the message: its relay may be done before the 250 is read
	a := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	a.cmd("MAIL FROM:<gacl@sohu.com>", "250")
	a.cmd("RCPT TO:<bbb@sina.com>", "250")
	a.cmd("DATA", "354")
	a.send("Subject: real\r\n\r\nhi\r\n.")
	a.expect("250 2.0.0")
	w.waitFor(t, trace.Relayed, 1)
	relayed, after := false, 0
	for _, e := range rec.all() {
		relayed = relayed || e.Proto == trace.SMTP && e.Hop == trace.Relay
		if e.Action == trace.Unverified {
			after++
		}
	}
	if after != unverified {
		t.Errorf("the real relay was marked unverified")
	}
	if !relayed {
		t.Error("the sandbox's own relay was not taken for one")
	}
}

// TestQuota: a mailbox holds its quota and no more: a message that would
// not fit is refused (552 5.2.2, at DATA), a full mailbox refuses at RCPT,
// and mail relayed to it bounces to its sender.
func TestQuota(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.Quota = 4000 })
	send := func(c *client, rcpt, want string) {
		c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
		if got := c.cmd("RCPT TO:<"+rcpt+">", ""); !strings.HasPrefix(got, "250") {
			if !strings.HasPrefix(got, want) {
				t.Fatalf("RCPT: %q, want %s", got, want)
			}
			c.cmd("RSET", "250")
			return
		}
		c.cmd("DATA", "354")
		c.send("Subject: fill\r\n\r\n" + strings.Repeat("x", 1500) + "\r\n.")
		if got := c.expect(""); !strings.HasPrefix(got, want) {
			t.Fatalf("the message: %q, want %s", got, want)
		}
	}
	c := smtpSessionGreeted(t, sb, "sina.com")
	send(c, "bbb@sina.com", "250")
	send(c, "bbb@sina.com", "250")
	send(c, "bbb@sina.com", "552 5.2.2 message refused: it would put <bbb@sina.com> over its quota of 4000 octets")
	c.cmd("MAIL FROM:<a@b.c>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250") // not full yet: about 3,200 octets
	c.cmd("RSET", "250")

	stored, stop := waitStored(sb)
	defer stop()
	a := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	send(a, "bbb@sina.com", "250") // sohu cannot know: sina refuses when it relays
	waitFor(t, stored)             // the bounce, in gacl's mailbox
	infos, _ := sb.Store().List(Address{"gacl", "sohu.com"})
	if len(infos) != 1 {
		t.Fatalf("gacl has %d messages, want the bounce", len(infos))
	}
	dsn, _ := sb.Store().Read(Address{"gacl", "sohu.com"}, infos[0].ID)
	if !strings.Contains(string(dsn), "Status: 5.2.2") {
		t.Errorf("the bounce:\n%s", dsn)
	}
}

// TestMaildirNeverFollowsLinks: a link planted in a mailbox (to
// /etc/passwd, to /dev/zero) is neither listed nor read, and a mailbox
// folder that is a link is refused.
func TestMaildirNeverFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	sb := startTestSandbox(t, func(c *Config) { c.Maildir = dir })
	bbb := Address{"bbb", "sina.com"}
	if _, err := sb.Store().Deliver(bbb, []byte("Subject: real\r\n\r\nhi\r\n"), Meta{}); err != nil {
		t.Fatal(err)
	}
	cur := filepath.Join(dir, "sina.com", "bbb", "cur")
	os.Symlink("/etc/passwd", filepath.Join(cur, "1.passwd.x:2,"))
	os.Symlink("/dev/zero", filepath.Join(cur, "2.zero.x:2,"))
	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	p.cmd("STAT", "+OK 1 ")
	p.cmd("QUIT", "+OK")
	if _, err := sb.Store().Read(bbb, "1.passwd.x"); err == nil {
		t.Error("a link to /etc/passwd was read")
	}

	os.MkdirAll(filepath.Join(dir, "sina.com"), 0o700)
	os.Symlink("/etc", filepath.Join(dir, "sina.com", "gacl"))
	g := dial(t, pop3Addr(t, sb, "sina.com"))
	g.expect("+OK")
	g.cmd("USER gacl", "+OK")
	g.cmd("PASS 123456", "-ERR [SYS/TEMP] mailbox error")
}

// TestOneSessionCannotFloodTheTranscript: a message pipelined with its
// MAIL, RCPT and DATA, one with DATA refused (its lines become bad
// commands, and the session is closed after a few), and a huge message of
// control characters: each session's events stay bounded.
func TestOneSessionCannotFloodTheTranscript(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.TapServers = true })
	var mu sync.Mutex
	perSession := map[string]int{}
	stop := sb.Events.Subscribe(func(e trace.Event) { mu.Lock(); perSession[e.Session]++; mu.Unlock() })
	defer stop()
	body := strings.Repeat("line of the body\r\n", 5000)
	tests := []struct{ name, input, last string }{
		{"pipelined message", "EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bbb@sina.com>\r\nDATA\r\n" + body + ".\r\nQUIT\r\n", "221"},
		{"refused DATA", "EHLO x\r\nMAIL FROM:<a@b.c>\r\nDATA\r\n" + body + ".\r\nQUIT\r\n", "421"},
		{"control characters", "EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<bbb@sina.com>\r\nDATA\r\n" + strings.Repeat("\x01\x02\x1b\r\n", 200000) + ".\r\nQUIT\r\n", "221"},
	}
	for _, tt := range tests {
		c := dial(t, smtpAddr(t, sb, "sina.com"))
		c.expect("220")
		go c.conn.Write([]byte(tt.input))
		var last string
		bad := 0
		var err error
		for {
			var l string
			if l, err = c.r.ReadString('\n'); err != nil {
				break
			}
			last = l
			if strings.HasPrefix(l, "500") {
				bad++
			}
		}
		// a server that closes on a client still writing may have its
		// last words lost to the reset: the count of errors tells then
		if !strings.HasPrefix(last, tt.last) && !(tt.last == "421" && errors.Is(err, syscall.ECONNRESET) && bad >= maxBadCommands-2) {
			t.Errorf("%s: the session ended with %q (%v), want %s", tt.name, last, err, tt.last)
		}
		if bad > maxBadCommands {
			t.Errorf("%s: %d bad commands answered before closing", tt.name, bad)
		}
	}
	sandboxtest.Eventually(t, 10*time.Second, "every session to close", func() bool { return sb.sessionCount() == 0 })
	mu.Lock()
	defer mu.Unlock()
	for session, n := range perSession {
		if n > 1200 {
			t.Errorf("session %s made %d events", session, n)
		}
	}
}
