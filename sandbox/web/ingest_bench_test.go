package web

import (
	"bufio"
	"fmt"
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
// once, as Postfix's smtp-source -s 8 does, and reports messages per
// second.
func ingest(b *testing.B, sb *sandbox.Sandbox) {
	addr, _ := sb.Addr("sina.com", "SMTP")
	var next atomic.Int64
	g := sandboxtest.NewGroup(b)
	b.SetBytes(int64(len(kib)))
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		g.Go(func(t testing.TB) {
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
			for next.Add(1) <= int64(b.N) {
				say("MAIL FROM:<x@example.org>", "250")
				say("RCPT TO:<bbb@sina.com>", "250")
				say("DATA", "354")
				w.WriteString(kib)
				say(".", "250")
			}
			say("QUIT", "221")
		})
	}
	g.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// wiretapTo renders every event to a file, as the terminal of
// maillab sandbox does.
func wiretapTo(b *testing.B, sb *sandbox.Sandbox) func() {
	f, err := os.Create(filepath.Join(b.TempDir(), "wiretap.txt"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	r, _ := trace.NewRenderer(w, "text", trace.RenderOptions{Wiretap: true, Width: 80})
	q := sb.Events.SubscribeQueued("the wiretap", 8192, trace.Paced(r, trace.Pacing{}), func() { w.Flush() })
	return func() { q.Close(-1); f.Close() }
}

// BenchmarkIngestWithPage is maillab sandbox's default: SMTP ingest with
// the wiretap written to a file and the projector page on, nobody
// watching it (the page must cost nearly nothing then).
func BenchmarkIngestWithPage(b *testing.B) {
	sb, _, _ := classroom(b, 1)
	defer wiretapTo(b, sb)()
	ingest(b, sb)
}

// BenchmarkIngestWithPageWatched is BenchmarkIngestWithPage with three
// pages watching: each event is encoded once, however many watch.
func BenchmarkIngestWithPageWatched(b *testing.B) {
	sb, page, _ := classroom(b, 1)
	defer wiretapTo(b, sb)()
	for range 3 {
		s := openStream(b, page.URL()+"events", nil)
		go func() {
			for {
				if _, _, err := s.next(); err != nil {
					return
				}
			}
		}()
	}
	ingest(b, sb)
}
