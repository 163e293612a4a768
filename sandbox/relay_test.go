package sandbox

import (
	"bufio"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"
	"maillab/trace/proto/smtp"
)

// ports is this package's range of port offsets.
var ports = sandboxtest.Range{First: 17003, Last: 24000, Step: 211}

func freeOffset(t *testing.T) int { return ports.FreeOffset(t) }

// watcher collects the sandbox's actions and lets a test wait for them.
type watcher struct {
	mu      sync.Mutex
	actions []trace.Action
	notify  chan struct{}
}

func watch(sb *Sandbox) *watcher {
	w := &watcher{notify: make(chan struct{}, 1)}
	sb.Events.Subscribe(func(e trace.Event) {
		if e.Kind != trace.Internal {
			return
		}
		w.mu.Lock()
		w.actions = append(w.actions, e.Action)
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	})
	return w
}

// count is how many times the sandbox has done action so far.
func (w *watcher) count(action trace.Action) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, a := range w.actions {
		if a == action {
			n++
		}
	}
	return n
}

// waitFor waits until the sandbox has done action n times.
func (w *watcher) waitFor(t *testing.T, action trace.Action, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for w.count(action) < n {
		select {
		case <-w.notify:
		case <-deadline:
			w.mu.Lock()
			defer w.mu.Unlock()
			t.Fatalf("never saw %d× %s; saw %v", n, action, w.actions)
		}
	}
}

func onlyConfig(domain string, offset int, mods ...func(*Config)) Config {
	cfg := Config{Only: domain, PortOffset: offset, RetryInterval: 50 * time.Millisecond}
	for _, m := range mods {
		m(&cfg)
	}
	return cfg
}

func startOnly(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	sb, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// submit sends n messages from gacl@sohu.com to bbb@sina.com.
func submit(t *testing.T, sb *Sandbox, n int) {
	c := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	for i := 0; i < n; i++ {
		c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
		c.cmd("RCPT TO:<bbb@sina.com>", "250")
		c.cmd("DATA", "354")
		c.send("Subject: message " + strconv.Itoa(i) + "\r\n\r\nbody\r\n.")
		c.expect("250 2.0.0")
	}
	c.cmd("QUIT", "221")
}

// subjects lists the subjects in a mailbox, to count deliveries.
func subjects(t *testing.T, store Store, owner Address) []string {
	infos, err := store.List(owner)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range infos {
		data, _ := store.Read(owner, m.ID)
		out = append(out, headerValue(data, "Subject"))
	}
	return out
}

// TestPeerDownThenBack: sina is down while sohu relays; the messages wait,
// are retried, and arrive exactly once when sina comes up.
func TestPeerDownThenBack(t *testing.T) {
	offset := freeOffset(t)
	sohu := startOnly(t, onlyConfig("sohu.com", offset))
	w := watch(sohu)
	submit(t, sohu, 3)
	w.waitFor(t, trace.Deferred, 3)

	sina := startOnly(t, onlyConfig("sina.com", offset))
	w.waitFor(t, trace.Relayed, 3)
	if n := sohu.QueueLen("sohu.com"); n != 0 {
		t.Fatalf("%d messages still queued", n)
	}
	got := subjects(t, sina.Store(), Address{"bbb", "sina.com"})
	if len(got) != 3 {
		t.Fatalf("bbb has %v, want each of 3 messages once", got)
	}
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s] {
			t.Fatalf("%q delivered twice", s)
		}
		seen[s] = true
	}
}

// TestQueueExpiryBounces: a peer that never comes back makes a bounce.
func TestQueueExpiryBounces(t *testing.T) {
	offset := freeOffset(t)
	sohu := startOnly(t, onlyConfig("sohu.com", offset, func(c *Config) { c.MaxQueueAge = 200 * time.Millisecond }))
	w := watch(sohu)
	submit(t, sohu, 1)
	w.waitFor(t, trace.Bounced, 1)
	w.waitFor(t, trace.Stored, 1)
	infos, _ := sohu.Store().List(Address{"gacl", "sohu.com"})
	if len(infos) != 1 {
		t.Fatalf("gacl has %d messages, want the bounce", len(infos))
	}
	data, _ := sohu.Store().Read(Address{"gacl", "sohu.com"}, infos[0].ID)
	for _, want := range []string{"Final-Recipient: rfc822; bbb@sina.com", "Status: 4.4.7", "Action: failed"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("bounce lacks %q:\n%s", want, data)
		}
	}
}

// TestMaildirRestart: with --maildir, a stop and a start lose nothing: the
// mailboxes are intact and the queue is delivered, once.
func TestMaildirRestart(t *testing.T) {
	dir := t.TempDir()
	offset := freeOffset(t)
	maildir := func(c *Config) { c.Maildir = dir }
	sohu, err := Start(onlyConfig("sohu.com", offset, maildir))
	if err != nil {
		t.Fatal(err)
	}
	w := watch(sohu)
	submit(t, sohu, 2)
	local := smtpSessionGreeted(t, sohu, "sohu.com")
	local.cmd("MAIL FROM:<x@y.z>", "250")
	local.cmd("RCPT TO:<aaa@sohu.com>", "250")
	local.cmd("DATA", "354")
	local.send("Subject: local\r\n\r\nkept on disk\r\n.")
	local.expect("250")
	w.waitFor(t, trace.Deferred, 2)
	sohu.Close()

	sohu2 := startOnly(t, onlyConfig("sohu.com", offset, maildir))
	if n := sohu2.QueueLen("sohu.com"); n != 2 {
		t.Fatalf("after restart %d messages are queued, want 2", n)
	}
	w2 := watch(sohu2)
	if got := subjects(t, sohu2.Store(), Address{"aaa", "sohu.com"}); len(got) != 1 || got[0] != "local" {
		t.Fatalf("aaa's mailbox after restart: %v", got)
	}
	sina := startOnly(t, onlyConfig("sina.com", offset, func(c *Config) { c.Maildir = t.TempDir() }))
	w2.waitFor(t, trace.Relayed, 2)
	if got := subjects(t, sina.Store(), Address{"bbb", "sina.com"}); len(got) != 2 {
		t.Fatalf("bbb got %v", got)
	}
	sohu2.Close()
	sohu3 := startOnly(t, onlyConfig("sohu.com", offset, maildir))
	if n := sohu3.QueueLen("sohu.com"); n != 0 {
		t.Fatalf("delivered messages came back into the queue: %d", n)
	}
}

// TestMaildirPOP3 retrieves byte for byte from a Maildir mailbox.
func TestMaildirPOP3(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.Maildir = t.TempDir() })
	msg := "Subject: disk\r\n\r\n.dot\r\nline\r\n"
	sb.Store().Deliver(Address{"bbb", "sina.com"}, []byte(msg), Meta{})
	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	p.cmd("STAT", "+OK 1 "+strconv.Itoa(len(msg)))
	p.cmd("RETR 1", "+OK")
	if got := strings.Join(p.dotBody(), "\r\n") + "\r\n"; got != msg {
		t.Fatalf("RETR = %q", got)
	}
	p.cmd("DELE 1", "+OK")
	p.cmd("QUIT", "+OK")
	if infos, _ := sb.Store().List(Address{"bbb", "sina.com"}); len(infos) != 0 {
		t.Fatal("DELE+QUIT left the message on disk")
	}
}

// stallingPeer is an SMTP server that accepts one message and then never
// answers QUIT. accepted is closed when it has said 250 to the message.
func stallingPeer(t *testing.T, addr string) (accepted chan struct{}) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = make(chan struct{})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		say := func(s string) { conn.Write([]byte(s + "\r\n")) }
		say("220 peer ESMTP")
		inData := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case inData && line == ".":
				inData = false
				say("250 2.0.0 OK")
				close(accepted)
			case inData:
			case strings.HasPrefix(line, "EHLO"):
				say("250 peer")
			case line == "DATA":
				inData = true
				say("354 go on")
			case line == "QUIT":
				io.Copy(io.Discard, r) // stall until the client gives up
				return
			default:
				say("250 2.0.0 OK")
			}
		}
	}()
	return accepted
}

// TestRelayRecordsDeliveryAtTheAnswer: the spool forgets a message the
// moment the next hop says 250 to it, not after QUIT, and a peer that
// never answers QUIT delays neither delivery nor shutdown.
func TestRelayRecordsDeliveryAtTheAnswer(t *testing.T) {
	offset := freeOffset(t)
	dir := t.TempDir()
	accepted := stallingPeer(t, "127.0.0.1:"+strconv.Itoa(2526+offset))
	sb, err := Start(onlyConfig("sohu.com", offset, func(c *Config) { c.Maildir = dir }))
	if err != nil {
		t.Fatal(err)
	}
	submit(t, sb, 1)
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the peer never got the message")
	}
	spool := filepath.Join(dir, ".queue", "sohu.com")
	deadline := time.Now().Add(5 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(spool, "*.json"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the peer's 250 the spool still holds %v", left)
		}
		time.Sleep(10 * time.Millisecond) // the relay goroutine records it on its own time
	}
	start := time.Now()
	sb.Close()
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("shutdown took %s waiting for a peer that never answers QUIT", took)
	}
}

// TestDeferralSaysWhy: a recipient the next hop defers (a teacher's
// injected 450) is retried, and the deferral says the reply that
// deferred it, never an empty reason; the next try delivers.
func TestDeferralSaysWhy(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.TapServers = true; c.RetryInterval = 50 * time.Millisecond })
	rec := record(sb)
	w := watch(sb)
	if err := sb.InjectFault(Address{"bbb", "sina.com"}, smtp.FaultBusy); err != nil {
		t.Fatal(err)
	}
	c := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: busy\r\n\r\nhi\r\n.")
	c.expect("250 2.0.0")
	w.waitFor(t, trace.Relayed, 1)
	deferred := 0
	for _, e := range rec.all() {
		if e.Action != trace.Deferred {
			continue
		}
		deferred++
		if why := trace.DescribeIn(nil, e); !strings.Contains(why, "450 4.2.0 <bbb@sina.com>: mailbox busy") {
			t.Errorf("the deferral does not say why: %q", why)
		}
	}
	if deferred != 1 {
		t.Errorf("%d deferrals, want 1", deferred)
	}
}
