package sandbox

import (
	"bufio"
	"crypto/tls"
	"os"
	"path/filepath"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"

	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// kibMessage is a 1 KiB message.
var kibMessage = "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 15) + "end\r\n"

// benchSender is a minimal SMTP client that keeps one session open.
type benchSender struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

// newBenchSender opens a session, turned to TLS first when tlsConfig is
// not nil.
func newBenchSender(b *testing.B, addr string, auth bool, tlsConfig *tls.Config) *benchSender {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSender{conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
	s.expect(b, "220")
	s.cmd(b, "EHLO bench", "250 ")
	if tlsConfig != nil {
		s.cmd(b, "STARTTLS", "220")
		tc := tls.Client(conn, tlsConfig)
		if err := tc.Handshake(); err != nil {
			b.Fatal(err)
		}
		s.conn, s.r, s.w = tc, bufio.NewReader(tc), bufio.NewWriter(tc)
		s.cmd(b, "EHLO bench", "250 ")
	}
	if auth {
		s.cmd(b, "AUTH PLAIN "+b64("\x00gacl\x00123456"), "235")
	}
	return s
}

func (s *benchSender) expect(b testing.TB, prefix string) {
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(line) > 3 && line[3] == '-' {
			continue
		}
		if !strings.HasPrefix(line, prefix) {
			b.Fatalf("got %q, want %s", line, prefix)
		}
		return
	}
}

func (s *benchSender) cmd(b testing.TB, line, prefix string) {
	s.w.WriteString(line + "\r\n")
	s.w.Flush()
	s.expect(b, prefix)
}

// send submits one message.
func (s *benchSender) send(b testing.TB, from, to string) {
	s.cmd(b, "MAIL FROM:<"+from+">", "250")
	s.cmd(b, "RCPT TO:<"+to+">", "250")
	s.cmd(b, "DATA", "354")
	s.w.WriteString(kibMessage + ".\r\n")
	s.w.Flush()
	s.expect(b, "250")
}

// sendConcurrently spreads b.N messages over n sessions and returns when
// the clock started.
func sendConcurrently(b *testing.B, n int, addr string, auth bool, from, to string, tlsConfig *tls.Config) time.Time {
	senders := make([]*benchSender, n)
	for i := range senders {
		senders[i] = newBenchSender(b, addr, auth, tlsConfig)
		defer senders[i].conn.Close()
	}
	var next atomic.Int64
	g := sandboxtest.NewGroup(b)
	b.SetBytes(int64(len(kibMessage)))
	b.ResetTimer()
	start := time.Now()
	for _, s := range senders {
		g.Go(func(t testing.TB) {
			for next.Add(1) <= int64(b.N) {
				s.send(t, from, to)
			}
		})
	}
	g.Wait()
	return start
}

// BenchmarkSMTPIngest: 1 KiB messages into a local mailbox over 8
// concurrent sessions.
func BenchmarkSMTPIngest(b *testing.B) {
	sb := startTestSandbox(b)
	start := sendConcurrently(b, 8, smtpAddr(b, sb, "sina.com"), false, "x@y.z", "bbb@sina.com", nil)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkRelayPath: 1 KiB messages submitted to sohu with AUTH and
// relayed to sina; the clock stops when the last one is stored at sina.
func BenchmarkRelayPath(b *testing.B) {
	benchRelay(b, startTestSandbox(b), nil)
}

// benchRelay submits b.N messages to sohu (over TLS when tlsConfig is set)
// and reports how many per second reached sina's mailbox.
func benchRelay(b *testing.B, sb *Sandbox, tlsConfig *tls.Config) {
	var stored atomic.Int64
	all := make(chan struct{})
	target := int64(b.N)
	stop := sb.Events.Subscribe(func(e traceEvent) {
		if e.Action == trace.Stored && stored.Add(1) == target {
			close(all)
		}
	})
	defer stop()
	start := sendConcurrently(b, 8, smtpAddr(b, sb, "sohu.com"), true, "gacl@sohu.com", "bbb@sina.com", tlsConfig)
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		b.Fatalf("only %d of %d relayed", stored.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkSMTPIngestWiretap is BenchmarkSMTPIngest with the sandbox's
// wiretap on: every line annotated and rendered to a file.
func BenchmarkSMTPIngestWiretap(b *testing.B) {
	sb := startTestSandbox(b, func(c *Config) { c.TapServers = true })
	f, err := os.Create(filepath.Join(b.TempDir(), "wiretap.txt"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	r, _ := trace.NewRenderer(w, "text", trace.RenderOptions{Wiretap: true})
	wiretap := sb.Events.SubscribeQueued("the wiretap", 8192, trace.Paced(r, trace.Pacing{}), func() { w.Flush() })
	start := sendConcurrently(b, 8, smtpAddr(b, sb, "sina.com"), false, "x@y.z", "bbb@sina.com", nil)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.StopTimer()
	wiretap.Close(-1)
	b.ReportMetric(float64(wiretap.Dropped())/float64(b.N), "dropped/msg")
}

// BenchmarkSMTPIngestTLS is BenchmarkSMTPIngest with every session turned
// to TLS by STARTTLS first (the handshakes are outside the clock).
func BenchmarkSMTPIngestTLS(b *testing.B) {
	sb := startTLSSandbox(b)
	cfg := sb.Certs().ClientConfig("smtp.sina.com")
	start := sendConcurrently(b, 8, smtpAddr(b, sb, "sina.com"), false, "x@y.z", "bbb@sina.com", cfg)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkRelayPathTLS is BenchmarkRelayPath with TLS on both hops: the
// submission by STARTTLS, the relay by the relay's own STARTTLS.
func BenchmarkRelayPathTLS(b *testing.B) {
	sb := startTLSSandbox(b)
	benchRelay(b, sb, sb.Certs().ClientConfig("smtp.sohu.com"))
}
