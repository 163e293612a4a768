package web

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
	"maillab/trace/proto"
)

// attack is one hostile student's doing, run against the class sandbox
// while the others work; it stops when stop is closed.
type attack struct {
	name string
	run  func(t testing.TB, sb *sandbox.Sandbox, page *Server, stop <-chan struct{})
}

// attacks are every attack of the hostile-class rounds, each from an
// address of its own (127.0.0.200 and up).
var attacks = []attack{
	{"idle connections", hogConnections},
	{"page flood", floodThePage},
	{"mailbox flood", floodAMailbox},
	{"forged relay", forgeARelay},
	{"pipelined flood", pipelineAFlood},
	{"password guessing", guessPasswords},
}

// attacker dials from an attacker's address.
func attacker(n int) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(200+n))}, Timeout: 5 * time.Second}
}

// hogConnections opens as many idle SMTP and SMTPS connections from one
// address as it can and holds them.
func hogConnections(t testing.TB, sb *sandbox.Sandbox, _ *Server, stop <-chan struct{}) {
	smtpAddr, _ := sb.Addr("sohu.com", proto.SMTP)
	smtps, _ := sb.AddrTLS("sohu.com", proto.SMTP, sandbox.ImplicitTLS)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for _, addr := range []string{smtpAddr, smtps} {
		for range 200 {
			if c, err := attacker(0).Dial("tcp", addr); err == nil {
				held = append(held, c)
			}
		}
	}
	<-stop
}

// floodThePage opens event streams and idle connections to the page.
func floodThePage(t testing.TB, _ *sandbox.Sandbox, page *Server, stop <-chan struct{}) {
	addr := strings.TrimSuffix(strings.TrimPrefix(page.URL(), "http://"), "/")
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range 600 {
		c, err := attacker(1+i%3).Dial("tcp", addr)
		if err != nil {
			continue
		}
		fmt.Fprintf(c, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
		held = append(held, c)
	}
	<-stop
}

// floodAMailbox sends big messages to s02@sina.com without logging in,
// until the quota refuses them.
func floodAMailbox(t testing.TB, sb *sandbox.Sandbox, _ *Server, stop <-chan struct{}) {
	addr, _ := sb.Addr("sina.com", proto.SMTP)
	big := strings.Repeat(strings.Repeat("x", 998)+"\r\n", 1000) // about 1 MB
	for {
		select {
		case <-stop:
			return
		default:
		}
		c, err := attacker(4).Dial("tcp", addr)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "EHLO flood\r\nMAIL FROM:<x@y.z>\r\nRCPT TO:<s02@sina.com>\r\nDATA\r\nSubject: flood\r\n\r\n%s.\r\nQUIT\r\n", big)
		io.Copy(io.Discard, c)
		c.Close()
	}
}

// forgeARelay says EHLO smtp.sohu.com to sina and sends as s01@sohu.com.
func forgeARelay(t testing.TB, sb *sandbox.Sandbox, _ *Server, stop <-chan struct{}) {
	addr, _ := sb.Addr("sina.com", proto.SMTP)
	for {
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
		c, err := attacker(5).Dial("tcp", addr)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "EHLO smtp.sohu.com\r\nMAIL FROM:<s01@sohu.com>\r\nRCPT TO:<s03@sina.com>\r\nDATA\r\n"+
			"Received: from s01 (127.0.0.1 [127.0.0.1])\r\n\t(authenticated as s01@sohu.com)\r\nSubject: from s01, honest\r\n\r\nhi\r\n.\r\nQUIT\r\n")
		io.Copy(io.Discard, c)
		c.Close()
	}
}

// pipelineAFlood sends a 5,000-line message with MAIL, RCPT and DATA in
// one write, and one with DATA refused.
func pipelineAFlood(t testing.TB, sb *sandbox.Sandbox, _ *Server, stop <-chan struct{}) {
	addr, _ := sb.Addr("sohu.com", proto.SMTP)
	body := strings.Repeat("\x1b[31mred\x07\r\n", 5000)
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		c, err := attacker(6).Dial("tcp", addr)
		if err != nil {
			continue
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		rcpt := "RCPT TO:<s04@sohu.com>\r\n"
		if i%2 == 1 {
			rcpt = "" // DATA refused: every body line a bad command
		}
		fmt.Fprintf(c, "EHLO p\r\nMAIL FROM:<x@y.z>\r\n%sDATA\r\n%s.\r\nQUIT\r\n", rcpt, body)
		io.Copy(io.Discard, c)
		c.Close()
	}
}

// guessPasswords guesses s05's password from several addresses at once.
func guessPasswords(t testing.TB, sb *sandbox.Sandbox, _ *Server, stop <-chan struct{}) {
	addr, _ := sb.Addr("sina.com", proto.POP3)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for guess := 0; ; guess++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := attacker(7+w).Dial("tcp", addr)
				if err != nil {
					continue
				}
				c.SetDeadline(time.Now().Add(20 * time.Second))
				fmt.Fprintf(c, "USER s05\r\nPASS %06d\r\nQUIT\r\n", guess)
				io.Copy(io.Discard, c)
				c.Close()
			}
		}()
	}
	wg.Wait()
}

// TestHostileClass runs every attack at once against a class of 30 while
// the others work: every message of theirs is delivered exactly once,
// every listener answers afterwards, and memory stays bounded.
func TestHostileClass(t *testing.T) {
	if testing.Short() {
		t.Skip("a class under attack takes a few seconds")
	}
	sb, page := hostileClassroom(t)
	class := entries(t, sb)
	before := heapInUse()
	stop := make(chan struct{})
	g := sandboxtest.NewGroup(t)
	for _, a := range attacks {
		g.Go(func(t testing.TB) { a.run(t, sb, page, stop) })
	}
	times := workNormally(t, sb, class, 2)
	close(stop)
	g.Wait()
	for _, l := range sb.Listening() {
		if !answers(l) {
			t.Errorf("%s %s on %s does not answer after the attacks", l.Service.Name(), l.Service.Host, l.Addr)
		}
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("normal sessions during the attacks: %s; heap grew %d MiB", summary(times), grown>>20)
	if grown > 256<<20 {
		t.Errorf("the heap grew by %d MiB under attack", grown>>20)
	}
	if used, _ := sb.Store().Usage(sandbox.Address{Local: "s02", Domain: "sina.com"}); used > 5<<20 {
		t.Errorf("the flooded mailbox holds %d octets, past its quota", used)
	}
}

// hostileClassroom is a class sandbox with TLS and a small quota, and its
// page.
func hostileClassroom(t testing.TB) (*sandbox.Sandbox, *Server) {
	t.Helper()
	sb, page, _ := classroom(t, 30, func(c *sandbox.Config) {
		c.Quota = 5 << 20
		c.IdleTimeout = 30 * time.Second
	})
	return sb, page
}

// entries lists the class's accounts, by address.
func entries(t testing.TB, sb *sandbox.Sandbox) map[string]roster.Entry {
	out := map[string]roster.Entry{}
	for _, p := range sb.World().Providers {
		for u, pw := range p.Accounts {
			if p.Students[u] {
				out[u+"@"+p.Domain] = roster.Entry{Account: u, Domain: p.Domain, Password: pw}
			}
		}
	}
	return out
}

// workNormally has students s10..s30 each send rounds messages to a
// classmate at the other provider and fetch their own, timing each
// session; every message must arrive exactly once.
func workNormally(t testing.TB, sb *sandbox.Sandbox, class map[string]roster.Entry, rounds int) []time.Duration {
	var mu sync.Mutex
	var times []time.Duration
	want := map[string]int{}
	for i := 10; i <= 30; i++ {
		want[fmt.Sprintf("s%02d@sina.com", i%30+1)] += rounds
	}
	var got sync.Map
	stored := sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Stored && strings.HasPrefix(e.Facts.Mailbox, "s") {
			n, _ := got.LoadOrStore(e.Facts.Mailbox, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
		}
	})
	defer stored()
	g := sandboxtest.NewGroup(t)
	for i := 10; i <= 30; i++ {
		g.Go(func(t testing.TB) {
			me := class[fmt.Sprintf("s%02d@sohu.com", i)]
			for range rounds {
				start := time.Now()
				smtpSend(t, sb, me, fmt.Sprintf("s%02d@sina.com", i%30+1), "work")
				mu.Lock()
				times = append(times, time.Since(start))
				mu.Unlock()
			}
		})
	}
	g.Wait()
	for mailbox, n := range want {
		sandboxtest.Eventually(t, 30*time.Second, mailbox+"'s mail", func() bool {
			c, ok := got.Load(mailbox)
			return ok && c.(*atomic.Int64).Load() >= int64(n)
		})
	}
	for i := 10; i <= 30; i++ {
		me := class[fmt.Sprintf("s%02d@sina.com", i%30+1)]
		start := time.Now()
		if n := pop3Fetch(t, sb, me); n < rounds {
			t.Errorf("%s fetched %d messages, want %d", me.Address(), n, rounds)
		}
		times = append(times, time.Since(start))
	}
	return times
}

// answers reports whether a listener greets a new client.
func answers(l sandbox.Listening) bool {
	c, err := net.DialTimeout("tcp", l.Addr, 2*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var conn net.Conn = c
	if l.Service.TLS == sandbox.ImplicitTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true}) // only whether it answers
		if tc.Handshake() != nil {
			return false
		}
		conn = tc
	}
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	return n > 0 && (strings.HasPrefix(string(buf[:n]), "220") || strings.HasPrefix(string(buf[:n]), "+OK"))
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// percentile returns the p-th percentile of durations (sorted in place).
func percentile[T cmp.Ordered](d []T, p float64) T {
	if len(d) == 0 {
		var zero T
		return zero
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(p*float64(len(d))))]
}

func summary(d []time.Duration) string {
	return fmt.Sprintf("%d sessions, median %s, p99 %s", len(d), percentile(d, 0.5).Round(time.Millisecond), percentile(d, 0.99).Round(time.Millisecond))
}

// rssMiB is the process's resident memory, from /proc.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkClassUnderAttack times normal students' sessions (log in,
// send to a classmate, or fetch) during each attack alone, and none:
// p50 and p99 of a session, and the process's resident memory after.
func BenchmarkClassUnderAttack(b *testing.B) {
	for _, a := range append([]attack{{"quiet", func(testing.TB, *sandbox.Sandbox, *Server, <-chan struct{}) {}}}, attacks...) {
		b.Run(strings.ReplaceAll(a.name, " ", "-"), func(b *testing.B) {
			sb, page := hostileClassroom(b)
			class := entries(b, sb)
			stop := make(chan struct{})
			g := sandboxtest.NewGroup(b)
			g.Go(func(t testing.TB) { a.run(t, sb, page, stop) })
			time.Sleep(200 * time.Millisecond) // the attack takes hold
			var times []time.Duration
			b.ResetTimer()
			for b.Loop() {
				times = append(times, workNormally(b, sb, class, 1)...)
			}
			b.StopTimer()
			close(stop)
			g.Wait()
			b.ReportMetric(float64(percentile(times, 0.5).Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(percentile(times, 0.99).Microseconds())/1000, "p99-ms")
			b.ReportMetric(rssMiB(), "rss-MiB")
		})
	}
}
