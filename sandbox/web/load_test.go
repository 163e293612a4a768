package web

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// pop3Fetch logs in as an account, retrieves and deletes every message,
// and returns how many there were. Any read that fails (or times out)
// fails the test.
func pop3Fetch(t testing.TB, sb *sandbox.Sandbox, e roster.Entry) int {
	t.Helper()
	addr, _ := sb.Addr(e.Domain, "POP3")
	c, err := studentDialer(e).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	read := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: reading from POP3: %v (got %q)", e.Address(), err, l)
		}
		return strings.TrimRight(l, "\r\n")
	}
	say := func(line, want string) string {
		if line != "" {
			fmt.Fprintf(c, "%s\r\n", line)
		}
		l := read()
		if !strings.HasPrefix(l, want) {
			t.Fatalf("%s: %q answered %q, want %s", e.Address(), line, l, want)
		}
		return l
	}
	say("", "+OK")
	say("USER "+e.Account, "+OK")
	say("PASS "+e.Password, "+OK")
	n, _ := strconv.Atoi(strings.Fields(say("STAT", "+OK"))[1])
	for i := 1; i <= n; i++ {
		say("RETR "+strconv.Itoa(i), "+OK")
		for read() != "." {
		}
		say("DELE "+strconv.Itoa(i), "+OK")
	}
	say("QUIT", "+OK")
	return n
}

// viewer counts the events one page receives.
type viewer struct {
	last    atomic.Uint64
	missed  atomic.Uint64
	counted atomic.Uint64
}

// TestClassLoad: 60 students log in, each sends a message to another
// student across providers and fetches its own by POP3, while 30 pages
// watch. Every message is delivered exactly once, and every page gets
// every event or says how many it missed.
func TestClassLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the class load test takes a few seconds")
	}
	const students, viewers = 60, 30
	sb, page, class := classroom(t, students)
	sohu := map[int]roster.Entry{}
	sina := map[int]roster.Entry{}
	for _, e := range class {
		n, _ := strconv.Atoi(e.Account[1:])
		if e.Domain == "sohu.com" {
			sohu[n] = e
		} else {
			sina[n] = e
		}
	}
	arrived := map[string]chan struct{}{}
	for _, e := range sina {
		arrived[e.Address()] = make(chan struct{}, 1)
	}
	stop := sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Stored {
			if ch, ok := arrived[e.Facts.Mailbox]; ok {
				ch <- struct{}{}
			}
		}
	})
	defer stop()

	pages := make([]*viewer, viewers)
	for i := range pages {
		v := &viewer{}
		pages[i] = v
		s := openStreamFrom(t, page.URL()+"events", nil, net.IPv4(127, 0, 2, byte(1+i)))
		go func() {
			for {
				e, id, err := s.next()
				if err != nil {
					return
				}
				if e["action"] == "dropped" {
					v.missed.Add(uint64(e["facts"].(map[string]any)["count"].(float64)))
				}
				if n, err := strconv.ParseUint(id, 10, 64); err == nil {
					v.last.Store(n)
					v.counted.Add(1)
				}
			}
		}()
	}

	var peak atomic.Uint64
	sampling := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-sampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	g := sandboxtest.NewGroup(t)
	fetched := make([]int, students+1)
	for i := 1; i <= students; i++ {
		g.Go(func(t testing.TB) {
			to := sina[i%students+1]
			smtpSend(t, sb, sohu[i], to.Address(), "from s"+strconv.Itoa(i))
			sandboxtest.Receive(t, arrived[sina[i].Address()], 20*time.Second, sina[i].Address()+"'s message")
			fetched[i] = pop3Fetch(t, sb, sina[i])
		})
	}
	g.Wait()
	took := time.Since(start)
	close(sampling)
	for i := 1; i <= students; i++ {
		if fetched[i] != 1 {
			t.Errorf("%s fetched %d messages, want exactly 1", sina[i].Address(), fetched[i])
		}
	}
	last := page.ring.last()
	for i, v := range pages {
		sandboxtest.Eventually(t, 10*time.Second, fmt.Sprintf("page %d to read to event %d", i, last), func() bool { return v.last.Load() >= last })
		if got := v.counted.Load() + v.missed.Load(); got < last {
			t.Errorf("page %d got %d events and reports %d missed, of %d", i, v.counted.Load(), v.missed.Load(), last)
		}
	}
	t.Logf("%d students, %d pages: %s, %d events per page, peak heap in use %d MiB", students, viewers, took.Round(time.Millisecond), last, peak.Load()>>20)
}

// BenchmarkFanOut: one event through the page's pipeline (annotated,
// masked, encoded, kept) and out to N pages reading their streams.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 10, 30, 100} {
		b.Run(strconv.Itoa(n)+"-pages", func(b *testing.B) {
			sb, page, _ := classroom(b, 1)
			var got atomic.Int64
			for i := range n {
				s := openStreamFrom(b, page.URL()+"events", nil, net.IPv4(127, 0, 2, byte(1+i)))
				go func() {
					for {
						if _, _, err := s.next(); err != nil {
							return
						}
						got.Add(1)
					}
				}()
			}
			e := trace.Event{Proto: trace.SMTP, Kind: trace.Command, Dir: trace.FromClient, From: "127.0.0.1:5000", To: "smtp.sohu.com", Session: "s1", Line: "MAIL FROM:<gacl@sohu.com>"}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				sb.Events.Publish(e)
			}
			want := int64(b.N) * int64(n)
			sandboxtest.Eventually(b, time.Minute, "every page to read every event", func() bool { return got.Load() >= want })
			took := time.Since(start)
			b.ReportMetric(float64(took.Nanoseconds())/float64(b.N), "ns/event")
			b.ReportMetric(float64(took.Nanoseconds())/float64(want), "ns/delivery")
		})
	}
}
