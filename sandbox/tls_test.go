package sandbox

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"maillab/sandbox/certs"
	"maillab/trace"
	"maillab/trace/proto"
)

// startTLSSandbox runs the default world with a fresh CA.
func startTLSSandbox(t testing.TB, mods ...func(*Config)) *Sandbox {
	t.Helper()
	ca, err := certs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return startTestSandbox(t, append([]func(*Config){func(c *Config) { c.Certs = ca }}, mods...)...)
}

// replyLines sends a line and returns every line of the SMTP reply.
func (c *client) replyLines(line string) []string {
	c.t.Helper()
	c.send(line)
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if len(l) < 4 || l[3] != '-' {
			return lines
		}
	}
}

// capa sends CAPA and returns the capabilities.
func (c *client) capa() []string {
	c.t.Helper()
	c.cmd("CAPA", "+OK")
	return c.dotBody()
}

// secure turns the client's connection to TLS, verifying the server's
// certificate for host against the sandbox's CA.
func (c *client) secure(sb *Sandbox, host string) tls.ConnectionState {
	c.t.Helper()
	tc := tls.Client(c.conn, sb.Certs().ClientConfig(host))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake with %s: %v", host, err)
	}
	c.conn = tc
	c.r.Reset(tc)
	return tc.ConnectionState()
}

// dialTLS connects to an implicit-TLS port.
func dialTLS(t *testing.T, sb *Sandbox, domain string, proto proto.Name) *client {
	t.Helper()
	addr, ok := sb.AddrTLS(domain, proto, ImplicitTLS)
	if !ok {
		t.Fatalf("%s has no implicit-TLS %s port", domain, proto)
	}
	c := dial(t, addr)
	c.secure(sb, strings.ToLower(string(proto))+"."+domain)
	return c
}

func has(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}

// TestStartTLSStartsOver: after STARTTLS the session forgets EHLO and
// the login (RFC 3207 4.2), and so do its events; it offers no second
// STARTTLS, and logs in as before.
func TestStartTLSStartsOver(t *testing.T) {
	sb := startTLSSandbox(t, func(c *Config) { c.TapServers = true })
	var mu sync.Mutex
	var afterTLS []trace.Event
	stop := sb.Events.Subscribe(func(e trace.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.TLS && e.Verb == "MAIL" {
			afterTLS = append(afterTLS, e)
		}
	})
	defer stop()
	c := dial(t, smtpAddr(t, sb, "sohu.com"))
	c.expect("220 ")
	ehlo := c.replyLines("EHLO learner")
	if !has(ehlo, "STARTTLS") || !has(ehlo, "AUTH LOGIN PLAIN") {
		t.Fatalf("EHLO before TLS: %q", ehlo)
	}
	c.cmd("AUTH PLAIN AGdhY2wAMTIzNDU2", "235 2.7.0") // a login in plaintext, forgotten at STARTTLS
	c.cmd("STARTTLS extra", "501 5.5.4")
	c.cmd("STARTTLS", "220 2.0.0")
	state := c.secure(sb, "smtp.sohu.com")
	if state.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", state.Version)
	}
	c.cmd("MAIL FROM:<gacl@sohu.com>", "503 5.5.1") // the EHLO before TLS is forgotten
	ehlo = c.replyLines("EHLO learner")
	if has(ehlo, "STARTTLS") || !has(ehlo, "AUTH LOGIN PLAIN") {
		t.Fatalf("EHLO after TLS: %q", ehlo)
	}
	c.cmd("STARTTLS", "503 5.5.1")
	c.cmd("AUTH PLAIN AGdhY2wAMTIzNDU2", "235 2.7.0")
	c.cmd("QUIT", "221")
	mu.Lock()
	defer mu.Unlock()
	for _, e := range afterTLS {
		if e.Account != "" || e.Login == proto.LoginOK {
			t.Errorf("after STARTTLS, before a new login, %q is said to be %s's", e.Line, e.Account)
		}
	}
	if len(afterTLS) == 0 {
		t.Errorf("no MAIL line seen inside TLS")
	}
}

// TestPlaintextAfterStartTLSIsDiscarded: commands sent in the same packet
// as STARTTLS or STLS (an attacker's injection, CVE-2011-0411) are thrown
// away, never run after the handshake, and reported to the trace.
func TestPlaintextAfterStartTLSIsDiscarded(t *testing.T) {
	sb := startTLSSandbox(t, func(c *Config) { c.TapServers = true })
	var mu sync.Mutex
	var discarded []string
	cancel := sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Discarded {
			mu.Lock()
			discarded = append(discarded, e.Facts.Reason)
			mu.Unlock()
		}
	})
	defer cancel()

	c := dial(t, smtpAddr(t, sb, "sohu.com"))
	c.expect("220 ")
	c.replyLines("EHLO learner")
	if _, err := c.conn.Write([]byte("STARTTLS\r\nRSET\r\n")); err != nil {
		t.Fatal(err)
	}
	c.expect("220 2.0.0")
	c.secure(sb, "smtp.sohu.com")
	// had RSET run, its 250 would come before the EHLO's reply
	if first := c.replyLines("EHLO learner")[0]; !strings.HasPrefix(first, "250-smtp.sohu.com") {
		t.Fatalf("after TLS the first reply is %q, not EHLO's", first)
	}

	p := dial(t, pop3Addr(t, sb, "sina.com"))
	p.expect("+OK")
	if _, err := p.conn.Write([]byte("STLS\r\nUSER bbb\r\n")); err != nil {
		t.Fatal(err)
	}
	p.expect("+OK")
	p.secure(sb, "pop3.sina.com")
	p.cmd("PASS 123456", "-ERR") // USER never ran

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(discarded)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("discarded events: %q", discarded)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if !has(discarded, "RSET") || !has(discarded, "USER bbb") {
		t.Errorf("discarded events name %q", discarded)
	}
}

// TestRequireTLS: with --require-tls, logins wait for TLS, as on real
// providers' submission ports; mail between servers does not.
func TestRequireTLS(t *testing.T) {
	sb := startTLSSandbox(t, func(c *Config) { c.RequireTLS = true })
	c := dial(t, smtpAddr(t, sb, "sohu.com"))
	c.expect("220 ")
	if ehlo := c.replyLines("EHLO learner"); has(ehlo, "AUTH") {
		t.Errorf("AUTH is offered before TLS: %q", ehlo)
	}
	c.cmd("AUTH LOGIN", "530 5.7.0")
	c.cmd("MAIL FROM:<a@example.org>", "250") // a peer's mail to a local mailbox needs no login
	c.cmd("RCPT TO:<gacl@sohu.com>", "250")
	c.cmd("RSET", "250")
	c.cmd("STARTTLS", "220")
	c.secure(sb, "smtp.sohu.com")
	if ehlo := c.replyLines("EHLO learner"); !has(ehlo, "AUTH LOGIN PLAIN") {
		t.Errorf("AUTH is not offered after TLS: %q", ehlo)
	}
	c.cmd("AUTH PLAIN AGdhY2wAMTIzNDU2", "235 2.7.0")

	p := dial(t, pop3Addr(t, sb, "sina.com"))
	p.expect("+OK")
	if caps := p.capa(); has(caps, "USER") || !has(caps, "STLS") {
		t.Errorf("CAPA before TLS: %q", caps)
	}
	p.cmd("USER bbb", "-ERR [AUTH]")
	p.cmd("STLS", "+OK")
	p.secure(sb, "pop3.sina.com")
	if caps := p.capa(); !has(caps, "USER") || has(caps, "STLS") {
		t.Errorf("CAPA after TLS: %q", caps)
	}
	p.cmd("STLS", "-ERR")
	p.cmd("USER bbb", "+OK")
	p.cmd("PASS 123456", "+OK")
	p.cmd("STLS", "-ERR")
}

// TestImplicitTLSPorts: SMTPS and POP3S speak TLS from the first byte,
// and offer no STARTTLS or STLS inside it.
func TestImplicitTLSPorts(t *testing.T) {
	sb := startTLSSandbox(t)
	c := dialTLS(t, sb, "sohu.com", trace.SMTP)
	c.expect("220 smtp.sohu.com")
	if ehlo := c.replyLines("EHLO learner"); has(ehlo, "STARTTLS") {
		t.Errorf("STARTTLS inside TLS: %q", ehlo)
	}
	c.cmd("STARTTLS", "503 5.5.1")
	p := dialTLS(t, sb, "sina.com", trace.POP3)
	p.expect("+OK")
	if caps := p.capa(); has(caps, "STLS") {
		t.Errorf("STLS inside TLS: %q", caps)
	}
	p.cmd("STLS", "-ERR")
}

// TestNoCertificatesNoTLS: a sandbox without a CA says so and opens no
// implicit-TLS ports.
func TestNoCertificatesNoTLS(t *testing.T) {
	sb := startTestSandbox(t)
	c := smtpSessionGreeted(t, sb, "sohu.com")
	c.cmd("STARTTLS", "454 4.7.0")
	p := dial(t, pop3Addr(t, sb, "sina.com"))
	p.expect("+OK")
	if caps := p.capa(); has(caps, "STLS") {
		t.Errorf("STLS offered without certificates: %q", caps)
	}
	p.cmd("STLS", "-ERR")
	if _, ok := sb.AddrTLS("sohu.com", trace.SMTP, ImplicitTLS); ok {
		t.Error("an SMTPS port without certificates")
	}
}

// TestGoSMTPClientOverStartTLS: a third-party Go client (go-smtp)
// verifies the certificate, logs in and sends; the relay to sina.com
// starts TLS too.
func TestGoSMTPClientOverStartTLS(t *testing.T) {
	sb := startTLSSandbox(t)
	relayTLS := make(chan trace.Event, 1)
	cancel := sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.TLSStarted && e.To == "smtp.sina.com" {
			select {
			case relayTLS <- e:
			default:
			}
		}
	})
	defer cancel()
	stored, stop := waitStored(sb)
	defer stop()

	c, err := smtp.DialStartTLS(smtpAddr(t, sb, "sohu.com"), sb.Certs().ClientConfig("smtp.sohu.com"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "gacl", "123456")); err != nil {
		t.Fatal(err)
	}
	msg := "Subject: over TLS\r\n\r\nsent by go-smtp\r\n"
	if err := c.SendMail("gacl@sohu.com", []string{"bbb@sina.com"}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	waitFor(t, stored)
	select {
	case e := <-relayTLS:
		if e.Facts == nil || e.Facts.TLSVersion == "" || e.Facts.Verified != "verified" {
			t.Errorf("relay TLS facts %+v", e.Facts)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the relay to sina.com never started TLS")
	}
	data, _ := sb.Store().Read(Address{"bbb", "sina.com"}, firstID(t, sb, "bbb", "sina.com"))
	if !strings.HasSuffix(string(data), msg) {
		t.Errorf("stored:\n%s", data)
	}
}

// TestFailedHandshakeFreesTheSession: a client that says STARTTLS and
// then sends junk instead of a ClientHello is disconnected, and the
// server goes on serving others.
func TestFailedHandshakeFreesTheSession(t *testing.T) {
	sb := startTLSSandbox(t)
	c := smtpSessionGreeted(t, sb, "sohu.com")
	c.cmd("STARTTLS", "220")
	c.conn.Write([]byte("this is not TLS\r\n"))
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	for {
		_, err := c.conn.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept the connection open after a failed handshake")
		}
		if err != nil {
			break // closed (after a TLS alert, perhaps)
		}
	}
	smtpSessionGreeted(t, sb, "sohu.com").cmd("NOOP", "250")
}

// TestRelayToPeerWithoutTLS: sohu has TLS, sina (another process, --tls
// off) has none; the relay goes on in plaintext and delivers, and starts
// no TLS.
func TestRelayToPeerWithoutTLS(t *testing.T) {
	offset := freeOffset(t)
	ca, err := certs.Open("")
	if err != nil {
		t.Fatal(err)
	}
	sohu := startOnly(t, onlyConfig("sohu.com", offset, func(c *Config) { c.Certs = ca }))
	sina := startOnly(t, onlyConfig("sina.com", offset))
	w := watch(sohu)
	submit(t, sohu, 1)
	w.waitFor(t, trace.Relayed, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range w.actions {
		if a == trace.TLSStarted {
			t.Error("TLS started with a peer that offers none")
		}
	}
	if got := subjects(t, sina.Store(), Address{"bbb", "sina.com"}); len(got) != 1 {
		t.Errorf("bbb has %v", got)
	}
}
