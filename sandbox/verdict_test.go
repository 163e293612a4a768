package sandbox

import (
	"crypto/tls"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/sandbox/certs"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// verdicts collects the verdicts a sandbox gives, by client address.
type verdicts struct {
	mu   sync.Mutex
	by   map[string][]trace.Finding
	seen chan string
}

func collectVerdicts(sb *Sandbox) *verdicts {
	v := &verdicts{by: map[string][]trace.Finding{}, seen: make(chan string, 64)}
	sb.Events.Subscribe(func(e trace.Event) {
		if e.Action != trace.Verdict {
			return
		}
		v.mu.Lock()
		v.by[e.From] = e.Facts.Findings
		v.mu.Unlock()
		v.seen <- e.From
	})
	return v
}

// of waits for the verdict on the client at addr and returns its rules.
func (v *verdicts) of(t *testing.T, addr string) []string {
	t.Helper()
	sandboxtest.Eventually(t, 5*time.Second, "the verdict on "+addr, func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		_, ok := v.by[addr]
		return ok
	})
	v.mu.Lock()
	defer v.mu.Unlock()
	var rules []string
	for _, f := range v.by[addr] {
		rules = append(rules, string(f.Rule))
	}
	slices.Sort(rules)
	return rules
}

// raw writes bytes as they are, in one write: several commands at once
// are pipelined.
func (c *client) raw(s string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

const headers = "Date: Mon, 30 Nov 2026 09:00:00 +0800\r\nMessage-ID: <v1@example.org>\r\nFrom: <a@example.org>\r\nTo: <aaa@sohu.com>\r\nSubject: hi\r\n"

// sendMessage runs a transaction with the message text (CRLF lines, no
// final dot), to a local user, after EHLO.
func sendMessage(c *client, mail, text string) {
	c.cmd("EHLO me", "250 ")
	c.cmd(mail, "250 ")
	c.cmd("RCPT TO:<aaa@sohu.com>", "250 ")
	c.cmd("DATA", "354 ")
	c.raw(text + ".\r\n")
	c.expect("250 ")
}

// TestVerdicts: each rule is found by a scripted client that breaks it,
// and a careful client gets a verdict with nothing wrong.
func TestVerdicts(t *testing.T) {
	ca, err := certs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := startTestSandbox(t, func(c *Config) { c.TapServers = true })
	withTLS := startTestSandbox(t, func(c *Config) { c.TapServers = true; c.Certs = ca })
	found := map[*Sandbox]*verdicts{plain: collectVerdicts(plain), withTLS: collectVerdicts(withTLS)}
	plainAuth := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00gacl\x00123456"))
	tests := []struct {
		name   string
		sb     *Sandbox
		pop3   bool
		script func(c *client)
		want   []string
	}{
		{"a careful client", plain, false, func(c *client) {
			sendMessage(c, "MAIL FROM:<a@example.org>", headers+"\r\nhello\r\n")
			c.cmd("QUIT", "221 ")
		}, nil},
		{"pipelining once offered", plain, false, func(c *client) {
			c.cmd("EHLO me", "250 ")
			c.raw("MAIL FROM:<a@example.org>\r\nRCPT TO:<aaa@sohu.com>\r\nDATA\r\n")
			c.expect("250 ")
			c.expect("250 ")
			c.expect("354 ")
			c.raw(headers + "\r\nhello\r\n.\r\nQUIT\r\n")
			c.expect("250 ")
			c.expect("221 ")
		}, nil},
		{"no hello", plain, false, func(c *client) {
			c.cmd("MAIL FROM:<a@example.org>", "503 ")
			c.cmd("QUIT", "221 ")
		}, []string{"no-hello"}},
		{"EHLO pipelined with what follows is a hello", plain, false, func(c *client) {
			c.raw("EHLO me\r\nMAIL FROM:<a@example.org>\r\n")
			c.expect("250 ")
			c.expect("250 ")
			c.cmd("QUIT", "221 ")
		}, []string{"pipelining"}},
		{"no quit", plain, false, func(c *client) {
			c.cmd("EHLO me", "250 ")
			c.cmd("NOOP", "250 ")
		}, []string{"no-quit"}},
		{"pipelining after HELO", plain, false, func(c *client) {
			c.raw("HELO me\r\nNOOP\r\n")
			c.expect("250 ")
			c.expect("250 ")
			c.cmd("QUIT", "221 ")
		}, []string{"pipelining"}},
		{"the message before 354", plain, false, func(c *client) {
			c.cmd("EHLO me", "250 ")
			c.raw("MAIL FROM:<a@example.org>\r\nRCPT TO:<aaa@sohu.com>\r\nDATA\r\n" + headers + "\r\nhello\r\n.\r\n")
			c.expect("250 ")
			c.expect("250 ")
			c.expect("354 ")
			c.expect("250 ")
			c.cmd("QUIT", "221 ")
		}, []string{"pipelining"}},
		{"a long line", plain, false, func(c *client) {
			sendMessage(c, "MAIL FROM:<a@example.org>", headers+"\r\n"+strings.Repeat("x", 1200)+"\r\n")
			c.cmd("QUIT", "221 ")
		}, []string{"long-line"}},
		{"a raw Chinese subject", plain, false, func(c *client) {
			sendMessage(c, "MAIL FROM:<a@example.org> BODY=8BITMIME", strings.Replace(headers, "Subject: hi", "Subject: 邮件测试", 1)+"\r\nhello\r\n")
			c.cmd("QUIT", "221 ")
		}, []string{"8bit-header"}},
		{"8-bit body undeclared", plain, false, func(c *client) {
			sendMessage(c, "MAIL FROM:<a@example.org>", headers+"Content-Type: text/plain; charset=UTF-8\r\n\r\n你好\r\n")
			c.cmd("QUIT", "221 ")
		}, []string{"8bit-undeclared"}},
		{"8-bit body declared", plain, false, func(c *client) {
			sendMessage(c, "MAIL FROM:<a@example.org> BODY=8BITMIME", headers+"Content-Type: text/plain; charset=UTF-8\r\n\r\n你好\r\n")
			c.cmd("QUIT", "221 ")
		}, nil},
		{"a password with a bare LF is no example", plain, true, func(c *client) {
			c.raw("USER aaa\r\n")
			c.expect("+OK")
			c.raw("PASS 123456\n") // the first line with a bare LF
			c.expect("+OK")
			c.raw("QUIT\n")
			c.expect("+OK")
		}, []string{"bare-lf"}},
		{"a password typed as the user name is no example", plain, true, func(c *client) {
			c.raw("USER 123456\n") // the first line with a bare LF
			c.expect("+OK")
			c.raw("QUIT\r\n")
			c.expect("+OK")
		}, []string{"bare-lf"}},
		{"bare LF, as nc sends", plain, false, func(c *client) {
			c.raw("EHLO me\n")
			c.expect("250 ")
			c.raw("QUIT\n")
			c.expect("221 ")
		}, []string{"bare-lf"}},
		{"no Date, no Message-ID", plain, false, func(c *client) {
			sendMessage(c, "MAIL FROM:<a@example.org>", "Subject: hi\r\n\r\nhello\r\n")
			c.cmd("QUIT", "221 ")
		}, []string{"no-date", "no-message-id"}},
		{"a login in the clear", withTLS, false, func(c *client) {
			c.cmd("EHLO me", "250 ")
			c.cmd(plainAuth, "235 ")
			c.cmd("QUIT", "221 ")
		}, []string{"plaintext-login"}},
		{"a login after STARTTLS", withTLS, false, func(c *client) {
			c.cmd("EHLO me", "250 ")
			c.cmd("STARTTLS", "220 ")
			c.startTLS("smtp.sohu.com", ca)
			c.cmd("EHLO me", "250 ")
			c.cmd(plainAuth, "235 ")
			c.cmd("QUIT", "221 ")
		}, nil},
		{"no EHLO again after STARTTLS", withTLS, false, func(c *client) {
			c.cmd("EHLO me", "250 ")
			c.cmd("STARTTLS", "220 ")
			c.startTLS("smtp.sohu.com", ca)
			c.cmd("MAIL FROM:<a@example.org>", "503 ")
			c.cmd("QUIT", "221 ")
		}, []string{"no-hello"}},
		{"POP3: a careful client", plain, true, func(c *client) {
			c.cmd("USER aaa", "+OK")
			c.cmd("PASS 123456", "+OK")
			c.cmd("STAT", "+OK")
			c.cmd("QUIT", "+OK")
		}, nil},
		{"POP3: no quit", plain, true, func(c *client) {
			c.cmd("USER aaa", "+OK")
			c.cmd("PASS 123456", "+OK")
		}, []string{"no-quit"}},
		{"POP3: a long command", plain, true, func(c *client) {
			c.cmd("NOOP "+strings.Repeat("x", 300), "-ERR")
			c.cmd("QUIT", "+OK")
		}, []string{"long-line"}},
		{"POP3: a password in the clear", withTLS, true, func(c *client) {
			c.cmd("USER aaa", "+OK")
			c.cmd("PASS 123456", "+OK")
			c.cmd("QUIT", "+OK")
		}, []string{"plaintext-login"}},
		{"POP3: pipelined without CAPA's PIPELINING known", plain, true, func(c *client) {
			c.raw("USER aaa\r\nPASS 123456\r\n")
			c.expect("+OK")
			c.expect("+OK")
			c.cmd("QUIT", "+OK")
		}, []string{"pipelining"}},
		{"POP3: pipelined after CAPA", plain, true, func(c *client) {
			c.cmd("CAPA", "+OK")
			c.dotBody()
			c.raw("USER aaa\r\nPASS 123456\r\n")
			c.expect("+OK")
			c.expect("+OK")
			c.cmd("QUIT", "+OK")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := smtpAddr(t, tt.sb, "sohu.com")
			greeting := "220 "
			if tt.pop3 {
				addr, greeting = pop3Addr(t, tt.sb, "sohu.com"), "+OK"
			}
			c := dial(t, addr)
			c.t = t
			c.expect(greeting)
			tt.script(c)
			c.conn.Close()
			if got := found[tt.sb].of(t, c.conn.LocalAddr().String()); !slices.Equal(got, tt.want) {
				t.Errorf("verdict %q, want %q", got, tt.want)
			}
			found[tt.sb].mu.Lock()
			defer found[tt.sb].mu.Unlock()
			for _, f := range found[tt.sb].by[c.conn.LocalAddr().String()] {
				if strings.Contains(f.Example, "123456") {
					t.Errorf("a password in a verdict's example: %+v", f)
				}
			}
		})
	}
}

// startTLS turns the test client's connection to TLS, verifying the
// server as host against the sandbox's CA.
func (c *client) startTLS(host string, ca *certs.Authority) {
	c.t.Helper()
	tc := tls.Client(c.conn, &tls.Config{ServerName: host, RootCAs: ca.Pool()})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn = tc
	c.r.Reset(tc)
}
