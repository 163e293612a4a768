package sandbox

import (
	"bufio"

	"net"
	"strings"
	"testing"
	"time"

	"maillab/trace"
)

// startTestSandbox runs the default world on free loopback ports.
func startTestSandbox(t testing.TB, mods ...func(*Config)) *Sandbox {
	t.Helper()
	cfg := Config{RandomPorts: true}
	for _, m := range mods {
		m(&cfg)
	}
	sb, err := Start(cfg)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// client is a raw line-based test client.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// smtpAddr and pop3Addr return where a domain's servers listen.
func smtpAddr(t testing.TB, sb *Sandbox, domain string) string {
	addr, ok := sb.Addr(domain, trace.SMTP)
	if !ok {
		t.Fatalf("%s is not running", domain)
	}
	return addr
}

func pop3Addr(t testing.TB, sb *Sandbox, domain string) string {
	addr, ok := sb.Addr(domain, trace.POP3)
	if !ok {
		t.Fatalf("%s is not running", domain)
	}
	return addr
}

// send writes one line with CRLF.
func (c *client) send(line string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// line reads one line without its CRLF.
func (c *client) line() string {
	c.t.Helper()
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, s)
	}
	return strings.TrimRight(s, "\r\n")
}

// reply reads a whole SMTP reply (all continuation lines) and returns its
// last line.
func (c *client) reply() string {
	c.t.Helper()
	for {
		l := c.line()
		if len(l) < 4 || l[3] != '-' {
			return l
		}
	}
}

// expect reads one reply (SMTP) or status line (POP3) and checks its start.
func (c *client) expect(prefix string) string {
	c.t.Helper()
	var got string
	if strings.HasPrefix(prefix, "+") || strings.HasPrefix(prefix, "-") {
		got = c.line()
	} else {
		got = c.reply()
	}
	if !strings.HasPrefix(got, prefix) {
		c.t.Fatalf("expected a reply starting %q, got %q", prefix, got)
	}
	return got
}

// cmd sends a line and expects a reply starting with prefix.
func (c *client) cmd(line, prefix string) string {
	c.t.Helper()
	c.send(line)
	return c.expect(prefix)
}

// dotBody reads a POP3 multi-line body up to "." and undoes dot-stuffing.
func (c *client) dotBody() []string {
	c.t.Helper()
	var lines []string
	for {
		l := c.line()
		if l == "." {
			return lines
		}
		lines = append(lines, strings.TrimPrefix(l, "."))
	}
}

// smtpSessionGreeted connects to a domain's SMTP server and says EHLO.
func smtpSessionGreeted(t testing.TB, sb *Sandbox, domain string) *client {
	c := dial(t, smtpAddr(t, sb, domain))
	c.expect("220 ")
	c.cmd("EHLO test.example", "250 ")
	return c
}

// smtpAuthenticated is smtpGreeted plus AUTH PLAIN as user.
func smtpAuthenticated(t testing.TB, sb *Sandbox, domain, user string) *client {
	c := smtpSessionGreeted(t, sb, domain)
	c.cmd("AUTH PLAIN "+b64("\x00"+user+"\x00"+DefaultPassword), "235 2.7.0")
	return c
}

// pop3LoggedIn connects to a domain's POP3 server and logs in.
func pop3LoggedIn(t testing.TB, sb *Sandbox, domain, user string) *client {
	c := dial(t, pop3Addr(t, sb, domain))
	c.expect("+OK")
	c.cmd("USER "+user, "+OK")
	c.cmd("PASS "+DefaultPassword, "+OK")
	return c
}

// waitStored subscribes to the sandbox's events and returns a channel that
// receives the journey of every message stored.
func waitStored(sb *Sandbox) (<-chan string, func()) {
	ch := make(chan string, 100)
	cancel := sb.Events.Subscribe(func(e traceEvent) {
		if e.Action == trace.Stored {
			select {
			case ch <- e.Message:
			default:
			}
		}
	})
	return ch, cancel
}
