package sandbox

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// expectServing checks a fresh client still gets a full session.
func expectServing(t *testing.T, sb *Sandbox) {
	t.Helper()
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("NOOP", "250")
	c.cmd("QUIT", "221")
}

func TestRobustInput(t *testing.T) {
	junk := make([]byte, 64<<10)
	rand.Read(junk)
	tests := []struct {
		name  string
		input []byte
		want  string // a reply the junk must provoke
	}{
		{"64 KiB of random bytes", junk, ""},
		{"an overlong line", []byte(strings.Repeat("A", 200<<10) + "\r\n"), "500 5.5.2"},
		{"NUL bytes", []byte("EHLO a\x00b\r\nNO\x00OP\r\n"), "500 5.5.1"},
		{"pipelined garbage", []byte(strings.Repeat("GARBAGE\r\nMAIL FROM:<<>\r\nRCPT\r\n", 5)), "421 4.7.0"},
		{"binary then a command", append(append([]byte{0xff, 0xfe, 0x01}, junk[:100]...), "\r\nQUIT\r\n"...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := startTestSandbox(t)
			conn, err := net.Dial("tcp", smtpAddr(t, sb, "sina.com"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			go conn.Write(tt.input)
			var replies []string
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				line := sc.Text()
				if !validReply(line) {
					t.Fatalf("malformed reply %q", line)
				}
				replies = append(replies, line)
				if strings.HasPrefix(line, "421") || strings.HasPrefix(line, "221") || (tt.want != "" && strings.HasPrefix(line, tt.want)) {
					break
				}
				if tt.want == "" && len(replies) > 3 {
					break
				}
			}
			if tt.want != "" && !strings.Contains(strings.Join(replies, "\n"), tt.want) {
				t.Errorf("replies lack %q: %q", tt.want, replies)
			}
			expectServing(t, sb)
		})
	}
}

// validReply: three digits, then space or hyphen, and printable text.
func validReply(line string) bool {
	if len(line) < 4 || line[0] < '2' || line[0] > '5' || (line[3] != ' ' && line[3] != '-') {
		return false
	}
	if _, err := strconv.Atoi(line[:3]); err != nil {
		return false
	}
	return !strings.ContainsAny(strings.TrimSuffix(line, "\r"), "\r\n\x00")
}

func TestUnterminatedDataThenDrop(t *testing.T) {
	sb := startTestSandbox(t)
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("MAIL FROM:<x@y.z>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: never finished")
	c.send("half a body")
	c.conn.Close()
	expectServing(t, sb)
	sb.Close() // waits for every session to end, the dropped one too
	if infos, _ := sb.Store().List(Address{"bbb", "sina.com"}); len(infos) != 0 {
		t.Fatalf("a message without its final '.' was stored")
	}
}

func TestSlowClient(t *testing.T) {
	sb := startTestSandbox(t)
	slow := dial(t, smtpAddr(t, sb, "sina.com"))
	slow.expect("220")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, b := range []byte("EHLO slow\r\n") {
			slow.conn.Write([]byte{b})
			time.Sleep(20 * time.Millisecond)
		}
	}()
	expectServing(t, sb) // served while the slow one trickles
	sandboxtest.Receive(t, done, 10*time.Second, "the slow client to finish typing")
	slow.expect("250 ")
}

func TestLimits(t *testing.T) {
	t.Run("idle time-out", func(t *testing.T) {
		sb := startTestSandbox(t, func(c *Config) { c.IdleTimeout = 100 * time.Millisecond })
		c := dial(t, smtpAddr(t, sb, "sina.com"))
		c.expect("220")
		c.expect("421 4.4.2")
		p := dial(t, pop3Addr(t, sb, "sina.com"))
		p.expect("+OK")
		p.expect("-ERR idle too long")
	})
	t.Run("too many bad commands", func(t *testing.T) {
		c := greetedOnly(t)
		for i := 0; i < 9; i++ {
			c.cmd("BOGUS", "500")
		}
		c.send("BOGUS")
		c.expect("500")
		c.expect("421 4.7.0")
	})
	t.Run("three failed logins", func(t *testing.T) {
		c := ehlo(t)
		for i := 0; i < 2; i++ {
			c.cmd("AUTH PLAIN "+b64("\x00gacl\x00wrong"), "535 5.7.8")
		}
		c.cmd("AUTH PLAIN "+b64("\x00gacl\x00wrong"), "535 5.7.8")
		c.expect("421 4.7.0")
	})
	t.Run("100 recipients", func(t *testing.T) {
		c := ehlo(t)
		c.cmd("AUTH PLAIN "+b64("\x00gacl\x00"+DefaultPassword), "235")
		c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
		for i := 0; i < 100; i++ {
			c.cmd(fmt.Sprintf("RCPT TO:<user%d@sina.com>", i), "250")
		}
		c.cmd("RCPT TO:<one.more@sina.com>", "452 4.5.3")
	})
	t.Run("max connections", func(t *testing.T) {
		sb := startTestSandbox(t, func(c *Config) { c.MaxConns = 3 })
		for i := 0; i < 3; i++ {
			dial(t, smtpAddr(t, sb, "sina.com")).expect("220")
		}
		dial(t, smtpAddr(t, sb, "sina.com")).expect("421 4.7.0")
		p := dial(t, pop3Addr(t, sb, "sina.com"))
		p.expect("+OK") // each server counts its own
	})
	t.Run("pop3 long line and bad commands", func(t *testing.T) {
		sb := startTestSandbox(t)
		p := dial(t, pop3Addr(t, sb, "sina.com"))
		p.expect("+OK")
		p.cmd(strings.Repeat("X", 300), "-ERR line too long")
		for i := 0; i < 8; i++ {
			p.cmd("BOGUS", "-ERR unknown")
		}
		p.send("BOGUS")
		p.expect("-ERR unknown")
		p.expect("-ERR too many errors")
	})
}

// TestManyIdleConnections: 300 idle sessions from 20 addresses, and a
// new client is served.
func TestManyIdleConnections(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.MaxConns = 400 })
	addr := smtpAddr(t, sb, "sina.com")
	for i := 0; i < 300; i++ {
		c := dialFrom(t, addr, 100+i%20)
		c.expect("220")
	}
	expectServing(t, sb)
}

// TestFairShares: one address's idle connections take its share and no
// more: the next is refused (421 4.7.0, saying why), another address is
// served at once, and a session that logs in stops counting against its
// address.
func TestFairShares(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.MaxPerAddress = 5 })
	addr := smtpAddr(t, sb, "sohu.com")
	var hog []*client
	for range 5 {
		c := dialFrom(t, addr, 70)
		c.expect("220")
		hog = append(hog, c)
	}
	dialFrom(t, addr, 70).expect("421 4.7.0 maillab too many connections from your address")
	other := dialFrom(t, addr, 71)
	other.expect("220")
	other.cmd("QUIT", "221")
	hog[0].cmd("EHLO me", "250")
	hog[0].cmd("AUTH PLAIN "+b64("\x00gacl\x00123456"), "235")
	dialFrom(t, addr, 70).expect("220")
}

// TestIdleTimeoutUnderLoad: when most of a server's slots are taken, a
// session that has not logged in may idle only loadIdleTimeout.
func TestIdleTimeoutUnderLoad(t *testing.T) {
	var slots = make(chan struct{}, 4)
	full := func() bool { return float64(len(slots)) >= underLoad*float64(cap(slots)) }
	st := &seat{full: full}
	if got := st.idleTimeout(5*time.Minute, false); got != 5*time.Minute {
		t.Errorf("a quiet server: %v", got)
	}
	for range 3 {
		slots <- struct{}{}
	}
	if got := st.idleTimeout(5*time.Minute, false); got != loadIdleTimeout {
		t.Errorf("a busy server, not logged in: %v", got)
	}
	if got := st.idleTimeout(5*time.Minute, true); got != 5*time.Minute {
		t.Errorf("a busy server, logged in: %v", got)
	}
}

// TestShutdownMidData: a message cut off by shutdown is not stored, and an
// idle session is told 421.
func TestShutdownMidData(t *testing.T) {
	sb, err := Start(Config{RandomPorts: true})
	if err != nil {
		t.Fatal(err)
	}
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("MAIL FROM:<x@y.z>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: cut off")
	idle := dial(t, smtpAddr(t, sb, "sohu.com"))
	idle.expect("220")
	start := time.Now()
	sb.Close()
	if took := time.Since(start); took > 5500*time.Millisecond {
		t.Errorf("shutdown took %s", took)
	}
	c.expect("421 4.3.2")
	idle.expect("421 4.3.2")
	if infos, _ := sb.Store().List(Address{"bbb", "sina.com"}); len(infos) != 0 {
		t.Error("a message cut off by shutdown was stored")
	}
}

// BenchmarkIdleSessionMemory reports what one idle SMTP session costs
// (heap and goroutine stacks, server side).
func BenchmarkIdleSessionMemory(b *testing.B) {
	sb := startTestSandbox(b, func(c *Config) { c.MaxConns = 1000 })
	addr := smtpAddr(b, sb, "sina.com")
	const n = 300
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		conns := make([]net.Conn, n)
		for i := range conns {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			bufio.NewReader(c).ReadString('\n') // the greeting: the session is up
			conns[i] = c
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		total := float64(after.HeapAlloc+after.StackInuse) - float64(before.HeapAlloc+before.StackInuse)
		b.ReportMetric(total/n, "bytes/idle-session")
		b.ReportMetric(total/(1<<20), "MB/300-sessions")
		for _, c := range conns {
			c.Close()
		}
		b.StartTimer()
	}
}

// failingListener fails its first Accepts as a process out of file
// descriptors does.
type failingListener struct {
	net.Listener
	left atomic.Int32
}

func (l *failingListener) Accept() (net.Conn, error) {
	if l.left.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestListenersNeverDie: Accept failing with EMFILE (no file descriptors
// left) is reported once and retried; the listener then serves.
func TestListenersNeverDie(t *testing.T) {
	var failing []*failingListener
	sb := startTestSandbox(t, func(c *Config) {
		c.Listen = func(network, addr string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err != nil {
				return nil, err
			}
			f := &failingListener{Listener: ln}
			f.left.Store(8)
			failing = append(failing, f)
			return f, nil
		}
	})
	w := watch(sb)
	c := dial(t, smtpAddr(t, sb, "sina.com"))
	c.expect("220 smtp.sina.com")
	c.cmd("QUIT", "221")
	// each listener reports in its own goroutine: wait for all of them,
	// then make sure none reported twice
	sandboxtest.Eventually(t, 5*time.Second, "every listener's failure reported", func() bool { return w.count(trace.AcceptFailing) >= len(failing) })
	time.Sleep(100 * time.Millisecond)
	if n := w.count(trace.AcceptFailing); n != len(failing) {
		t.Errorf("%d accept failures reported for %d listeners (once each)", n, len(failing))
	}
}

// TestRunningOutOfFileDescriptors: for real, in a process of its own with
// few file descriptors: connections until none is left, then released;
// the servers greet again.
func TestRunningOutOfFileDescriptors(t *testing.T) {
	if os.Getenv("MAILLAB_FD_CHILD") == "1" {
		fdChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunningOutOfFileDescriptors$", "-test.v")
	cmd.Env = append(os.Environ(), "MAILLAB_FD_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "greeted after running out") {
		t.Fatalf("the child: %v\n%s", err, out)
	}
}

// fdChild runs in the child: it lowers its file limit, exhausts it, and
// checks the listener survives.
func fdChild(t *testing.T) {
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 96, Max: 96}); err != nil {
		t.Fatalf("setrlimit: %v", err)
	}
	sb := startTestSandbox(t, func(c *Config) { c.MaxPerAddress = -1 })
	w := watch(sb)
	addr := smtpAddr(t, sb, "sina.com")
	var held []net.Conn
	for range 200 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		held = append(held, c)
	}
	sandboxtest.Eventually(t, 10*time.Second, "the server to run out", func() bool { return w.count(trace.AcceptFailing) > 0 })
	for _, c := range held {
		c.Close()
	}
	c := dial(t, addr)
	c.expect("220 smtp.sina.com")
	t.Logf("greeted after running out (%d connections held)", len(held))
}
