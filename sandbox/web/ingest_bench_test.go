package web

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// kib is a 1 KiB message.
var kib = "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 15) + "end\r\n"

// ingest sends b.N 1 KiB messages to bbb@sina.com over 8 sessions at
// once, perSession messages per session (Postfix's smtp-source -s 8 sends
// one), and reports messages per second.
func ingest(b *testing.B, sb *sandbox.Sandbox, perSession int) {
	addr, _ := sb.Addr("sina.com", "SMTP")
	var next atomic.Int64
	g := sandboxtest.NewGroup(b)
	b.SetBytes(int64(len(kib)))
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		g.Go(func(t testing.TB) {
			for next.Load() < int64(b.N) {
				session(t, addr, &next, int64(b.N), perSession)
			}
		})
	}
	g.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// session sends up to n messages in one SMTP session, taking their
// numbers from next while they are at most last.
func session(t testing.TB, addr string, next *atomic.Int64, last int64, n int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	expect := func(code string) {
		for {
			l, err := r.ReadString('\n')
			if err != nil || !strings.HasPrefix(l, code) {
				t.Fatalf("want %s, got %q (%v)", code, l, err)
			}
			if l[3] != '-' {
				return
			}
		}
	}
	say := func(line, code string) { fmt.Fprintf(w, "%s\r\n", line); w.Flush(); expect(code) }
	expect("220")
	say("EHLO bench", "250")
	for i := 0; i < n && next.Add(1) <= last; i++ {
		say("MAIL FROM:<x@example.org>", "250")
		say("RCPT TO:<bbb@sina.com>", "250")
		say("DATA", "354")
		w.WriteString(kib)
		say(".", "250")
	}
	say("QUIT", "221")
}

// wiretapTo renders every event to a file, as the terminal of
// maillab sandbox does.
func wiretapTo(b *testing.B, sb *sandbox.Sandbox) func() {
	b.Helper()
	f, err := os.Create(filepath.Join(b.TempDir(), "wiretap.txt"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	r, _ := trace.NewRenderer(w, "text", trace.RenderOptions{Wiretap: true, Width: 80})
	q := sb.Events.SubscribeQueued("the wiretap", 8192, trace.Paced(r, trace.Pacing{}), func() { w.Flush() })
	return func() {
		b.StopTimer()
		q.Close(-1)
		f.Close()
		b.ReportMetric(float64(q.Dropped())/float64(b.N), "wiretap-dropped/msg")
	}
}

// BenchmarkIngestWithPage is maillab sandbox's default: SMTP ingest with
// the wiretap written to a file and the projector page on, nobody
// watching it (the page must cost nearly nothing then).
func BenchmarkIngestWithPage(b *testing.B) {
	sb, page, _ := classroom(b, 1)
	defer pageDrops(b, page)
	defer wiretapTo(b, sb)()
	ingest(b, sb, 10)
}

// BenchmarkIngestOnePerSession is BenchmarkIngestWithPage with a session
// per message, as smtp-source sends them.
func BenchmarkIngestOnePerSession(b *testing.B) {
	sb, page, _ := classroom(b, 1)
	defer pageDrops(b, page)
	defer wiretapTo(b, sb)()
	ingest(b, sb, 1)
}

// pageDrops reports the events the page's queue could not take.
func pageDrops(b *testing.B, page *Server) {
	page.queue.Close(-1)
	b.ReportMetric(float64(page.queue.Dropped())/float64(b.N), "page-dropped/msg")
	b.ReportMetric(float64(page.ring.last())/float64(b.N), "events/msg")
}

// BenchmarkIngestWithPageWatched is BenchmarkIngestWithPage with three
// pages watching: each event is encoded once, however many watch.
func BenchmarkIngestWithPageWatched(b *testing.B) {
	sb, page, _ := classroom(b, 1)
	defer pageDrops(b, page)
	defer wiretapTo(b, sb)()
	for range 3 { // pages that take every byte (a browser's parsing is its own machine's work)
		s := openStream(b, page.URL()+"events", nil)
		go io.Copy(io.Discard, s.r)
	}
	ingest(b, sb, 10)
}
