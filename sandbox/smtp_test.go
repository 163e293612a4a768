package sandbox

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
)

// TestSeedSession types the tutorial's session into sohu, then fetches the
// message from sina over POP3: the whole relay path.
func TestSeedSession(t *testing.T) {
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()

	c := dial(t, smtpAddr(t, sb, "sohu.com"))
	c.expect("220 smtp.sohu.com ESMTP")
	c.cmd("ehlo gacl", "250 HELP")
	c.cmd("auth login", "334 VXNlcm5hbWU6")
	c.cmd("Z2FjbA==", "334 UGFzc3dvcmQ6")
	c.cmd("MTIzNDU2", "235 2.7.0")
	c.cmd("mail from:<gacl@sohu.com>", "250 2.1.0")
	c.cmd("rcpt to:<bbb@sina.com>", "250 2.1.5")
	c.cmd("data", "354 ")
	for _, l := range []string{"from:<gacl@sohu.com>", "to:<bbb@sina.com>", "subject:hello", "", "hello gacl"} {
		c.send(l)
	}
	c.cmd(".", "250 2.0.0")
	c.cmd("quit", "221 2.0.0")

	select {
	case <-stored:
	case <-time.After(5 * time.Second):
		t.Fatal("message never reached sina")
	}
	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	stat := p.cmd("STAT", "+OK 1 ")
	p.send("LIST")
	p.expect("+OK 1 message (")
	if list := p.dotBody(); len(list) != 1 || !strings.HasPrefix(list[0], "1 ") {
		t.Fatalf("LIST = %q", list)
	}
	p.cmd("RETR 1", "+OK")
	msg := strings.Join(p.dotBody(), "\r\n") + "\r\n"
	p.cmd("QUIT", "+OK")

	for _, want := range []string{"by smtp.sohu.com (maillab) with ESMTPA", "by smtp.sina.com (maillab) with ESMTP ", "\r\nsubject:hello\r\n", "\r\n\r\nhello gacl\r\n", "Message-ID: <", "Date: "} {
		if !strings.Contains(msg, want) {
			t.Errorf("retrieved message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Index(msg, "by smtp.sina.com") > strings.Index(msg, "by smtp.sohu.com") {
		t.Errorf("sina's Received: should come first (each hop prepends):\n%s", msg)
	}
	if got := fmt.Sprintf("+OK 1 %d", len(msg)); stat != got {
		t.Errorf("STAT = %q, but RETR returned %d octets", stat, len(msg))
	}
}

// TestSMTPReplies checks each command and error path on a fresh session.
func TestSMTPReplies(t *testing.T) {
	type exchange struct{ send, want string }
	tests := []struct {
		name  string
		setup func(t *testing.T) *client
		steps []exchange
	}{
		{"helo", greetedOnly, []exchange{{"HELO me", "250 smtp.sohu.com greets me"}}},
		{"ehlo without name", greetedOnly, []exchange{{"EHLO", "501 5.5.4"}}},
		{"mail before ehlo", greetedOnly, []exchange{{"MAIL FROM:<a@b.c>", "503 5.5.1"}}},
		{"unknown command", greetedOnly, []exchange{{"FOO bar", "500 5.5.1"}}},
		{"noop rset vrfy help", greetedOnly, []exchange{{"NOOP", "250 2.0.0"}, {"RSET", "250 2.0.0"}, {"VRFY bbb", "252 2.5.0"}, {"HELP", "214 2.0.0"}}},
		{"expn", greetedOnly, []exchange{{"EXPN list", "502 5.5.1"}}},
		{"rcpt before mail", ehlo, []exchange{{"RCPT TO:<bbb@sina.com>", "503 5.5.1"}}},
		{"data before rcpt", ehlo, []exchange{{"MAIL FROM:<x@y.z>", "250 2.1.0"}, {"DATA", "503 5.5.1"}}},
		{"data before mail", ehlo, []exchange{{"DATA", "503 5.5.1"}}},
		{"mail twice", ehlo, []exchange{{"MAIL FROM:<x@y.z>", "250"}, {"MAIL FROM:<x@y.z>", "503 5.5.1"}}},
		{"mail syntax", ehlo, []exchange{{"MAIL <x@y.z>", "501 5.5.4"}}},
		{"bad sender", ehlo, []exchange{{"MAIL FROM:<not an address>", "501 5.1.7"}}},
		{"null sender", ehlo, []exchange{{"MAIL FROM:<>", "250 2.1.0"}}},
		{"size param", ehlo, []exchange{{"MAIL FROM:<x@y.z> SIZE=1000 BODY=8BITMIME", "250 2.1.0"}}},
		{"size too big", ehlo, []exchange{{"MAIL FROM:<x@y.z> SIZE=999999999", "552 5.3.4"}}},
		{"unknown param", ehlo, []exchange{{"MAIL FROM:<x@y.z> FOO=1", "555 5.5.4"}}},
		{"space after colon", ehlo, []exchange{{"MAIL FROM: <x@y.z>", "250 2.1.0"}, {"RCPT TO: <gacl@sohu.com>", "250 2.1.5"}}},
		{"unknown local user", ehlo, []exchange{{"MAIL FROM:<x@y.z>", "250"}, {"RCPT TO:<nobody@sohu.com>", "550 5.1.1"}}},
		{"local user without auth (MX role)", ehlo, []exchange{{"MAIL FROM:<x@y.z>", "250"}, {"RCPT TO:<AAA@SOHU.COM>", "250 2.1.5"}}},
		{"relay without auth", ehlo, []exchange{{"MAIL FROM:<gacl@sohu.com>", "250"}, {"RCPT TO:<bbb@sina.com>", "550 5.7.1"}}},
		{"outside world even after auth", authed, []exchange{{"MAIL FROM:<gacl@sohu.com>", "250"}, {"RCPT TO:<someone@example.org>", "550 5.7.1"}}},
		{"relay after auth", authed, []exchange{{"MAIL FROM:<gacl@sohu.com>", "250"}, {"RCPT TO:<bbb@sina.com>", "250 2.1.5"}}},
		{"bad recipient", ehlo, []exchange{{"MAIL FROM:<x@y.z>", "250"}, {"RCPT TO:<@>", "501 5.1.3"}}},
		{"data argument", ehlo, []exchange{{"DATA now", "501 5.5.4"}}},
		{"auth before ehlo", greetedOnly, []exchange{{"AUTH LOGIN", "503 5.5.1"}}},
		{"auth after helo", greetedOnly, []exchange{{"HELO me", "250"}, {"AUTH LOGIN", "503 5.5.1"}}},
		{"auth unknown mechanism", ehlo, []exchange{{"AUTH CRAM-MD5", "504 5.5.4"}}},
		{"auth no mechanism", ehlo, []exchange{{"AUTH", "501 5.5.4"}}},
		{"auth login initial response", ehlo, []exchange{{"AUTH LOGIN Z2FjbA==", "334 UGFzc3dvcmQ6"}, {"MTIzNDU2", "235 2.7.0"}}},
		{"auth login full address", ehlo, []exchange{{"AUTH LOGIN", "334"}, {b64("gacl@sohu.com"), "334"}, {"MTIzNDU2", "235 2.7.0"}}},
		{"auth login unpadded", ehlo, []exchange{{"AUTH LOGIN", "334"}, {"Z2FjbA", "334"}, {"MTIzNDU2", "235 2.7.0"}}},
		{"auth login wrong password", ehlo, []exchange{{"AUTH LOGIN", "334"}, {"Z2FjbA==", "334"}, {b64("654321"), "535 5.7.8"}}},
		{"auth login case-mangled base64", ehlo, []exchange{{"AUTH LOGIN", "334"}, {"z2fjba==", "334"}, {"MTIzNDU2", "535 5.7.8"}}},
		{"auth login bad base64", ehlo, []exchange{{"AUTH LOGIN", "334"}, {"!!!", "501 5.5.2"}}},
		{"auth login cancelled", ehlo, []exchange{{"AUTH LOGIN", "334"}, {"*", "501 5.7.0"}}},
		{"auth plain initial", ehlo, []exchange{{"AUTH PLAIN " + b64("\x00gacl\x00123456"), "235 2.7.0"}}},
		{"auth plain challenge", ehlo, []exchange{{"AUTH PLAIN", "334 "}, {b64("gacl\x00gacl\x00123456"), "235 2.7.0"}}},
		{"auth plain other identity", ehlo, []exchange{{"AUTH PLAIN " + b64("aaa\x00gacl\x00123456"), "535 5.7.8"}}},
		{"auth plain malformed", ehlo, []exchange{{"AUTH PLAIN " + b64("gacl"), "535 5.7.8"}}},
		{"auth twice", authed, []exchange{{"AUTH LOGIN", "503 5.5.1"}}},
		{"auth during transaction", ehlo, []exchange{{"MAIL FROM:<x@y.z>", "250"}, {"AUTH LOGIN", "503 5.5.1"}}},
		{"line too long", ehlo, []exchange{{"NOOP " + strings.Repeat("x", 600), "500 5.5.2"}, {"NOOP", "250"}}},
		{"quit", greetedOnly, []exchange{{"QUIT", "221 2.0.0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.setup(t)
			for _, ex := range tt.steps {
				c.cmd(ex.send, ex.want)
			}
		})
	}
}

// greetedOnly, ehlo and authed start a sandbox of the test's own and
// open a session on it: greeted, after EHLO, and logged in as gacl.
func greetedOnly(t *testing.T) *client {
	c := dial(t, smtpAddr(t, startTestSandbox(t), "sohu.com"))
	c.expect("220 ")
	return c
}

func ehlo(t *testing.T) *client { return smtpSessionGreeted(t, startTestSandbox(t), "sohu.com") }

func authed(t *testing.T) *client {
	return smtpAuthenticated(t, startTestSandbox(t), "sohu.com", "gacl")
}

// TestEHLOExtensions checks the advertised extensions.
func TestEHLOExtensions(t *testing.T) {
	c := greetedOnly(t)
	c.send("EHLO me")
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if l[3] == ' ' {
			break
		}
	}
	got := strings.Join(lines, "\n")
	for _, ext := range []string{"250-smtp.sohu.com greets me", "250-SIZE 10485760", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250-AUTH LOGIN PLAIN", "250 HELP"} {
		if !strings.Contains(got, ext) {
			t.Errorf("EHLO reply lacks %q:\n%s", ext, got)
		}
	}
}

// TestDotStuffingAndBareLF sends content with leading dots over bare LF
// line ends (as nc does) and gets it back byte for byte over POP3.
func TestDotStuffingAndBareLF(t *testing.T) {
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	c := dial(t, smtpAddr(t, sb, "sina.com"))
	c.expect("220")
	body := "Subject: dots\n\n.leading dot\n..two dots\n.\n"
	if _, err := c.conn.Write([]byte("EHLO nc\nMAIL FROM:<x@y.z>\nRCPT TO:<bbb@sina.com>\nDATA\n" + "Subject: dots\n\n..leading dot\n...two dots\n.\nQUIT\n")); err != nil {
		t.Fatal(err)
	}
	c.expect("250 ")
	c.expect("250 2.1.0")
	c.expect("250 2.1.5")
	c.expect("354 ")
	c.expect("250 2.0.0")
	c.expect("221 ")
	waitFor(t, stored)

	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	p.send("RETR 1")
	p.expect("+OK")
	raw := []string{}
	for {
		l := p.line()
		if l == "." {
			break
		}
		raw = append(raw, l)
	}
	got := strings.Join(raw, "\n")
	if !strings.Contains(got, "\n\n..leading dot\n...two dots") {
		t.Errorf("RETR must dot-stuff lines starting with '.', got:\n%s", got)
	}
	data, _ := sb.Store().Read(Address{"bbb", "sina.com"}, firstID(t, sb, "bbb", "sina.com"))
	if !strings.HasSuffix(string(data), strings.ReplaceAll(strings.SplitN(body, "\n\n", 2)[1], "\n", "\r\n")[:len(".leading dot\r\n..two dots\r\n")]) {
		t.Errorf("stored content should be unstuffed with CRLF ends, got %q", data)
	}
}

func firstID(t *testing.T, sb *Sandbox, user, domain string) string {
	infos, err := sb.Store().List(Address{user, domain})
	if err != nil || len(infos) == 0 {
		t.Fatalf("no message for %s@%s (%v)", user, domain, err)
	}
	return infos[0].ID
}

// TestConcurrentSessions sends from many sessions at once (run with -race).
func TestConcurrentSessions(t *testing.T) {
	sb := startTestSandbox(t)
	const sessions, each = 20, 5
	g := sandboxtest.NewGroup(t)
	for i := 0; i < sessions; i++ {
		g.Go(func(t testing.TB) {
			c := smtpSessionGreeted(t, sb, "sina.com")
			for j := 0; j < each; j++ {
				c.cmd("MAIL FROM:<x@y.z>", "250")
				c.cmd("RCPT TO:<bbb@sina.com>", "250")
				c.cmd("DATA", "354")
				c.send(fmt.Sprintf("Subject: %d/%d\r\n\r\nhi\r\n.", i, j))
				c.expect("250 2.0.0")
			}
			c.cmd("QUIT", "221")
		})
	}
	g.Wait()
	infos, _ := sb.Store().List(Address{"bbb", "sina.com"})
	if len(infos) != sessions*each {
		t.Fatalf("bbb has %d messages, want %d", len(infos), sessions*each)
	}
	seen := map[string]bool{}
	for _, m := range infos {
		if seen[m.ID] {
			t.Fatalf("duplicate id %s", m.ID)
		}
		seen[m.ID] = true
	}
}

// TestMessageTooBig refuses content over the limit after reading it all.
func TestMessageTooBig(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.MaxMessageSize = 1000 })
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("MAIL FROM:<x@y.z>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	for i := 0; i < 50; i++ {
		c.send(strings.Repeat("y", 70))
	}
	c.cmd(".", "552 5.3.4")
	c.cmd("NOOP", "250")
	if infos, _ := sb.Store().List(Address{"bbb", "sina.com"}); len(infos) != 0 {
		t.Fatalf("a refused message was stored")
	}
}

// TestMissingHeadersAdded: submission adds Date and Message-ID, and a body
// without headers stays a body.
func TestMissingHeadersAdded(t *testing.T) {
	sb := startTestSandbox(t)
	c := smtpSessionGreeted(t, sb, "sina.com")
	c.cmd("MAIL FROM:<x@y.z>", "250")
	c.cmd("RCPT TO:<bbb@sina.com>", "250")
	c.cmd("DATA", "354")
	c.send("just a body line")
	c.cmd(".", "250")
	data, _ := sb.Store().Read(Address{"bbb", "sina.com"}, firstID(t, sb, "bbb", "sina.com"))
	s := string(data)
	if !strings.Contains(s, "\r\nDate: ") || !strings.Contains(s, "\r\nMessage-ID: <") || !strings.HasSuffix(s, "\r\n\r\njust a body line\r\n") {
		t.Fatalf("stamped message:\n%s", s)
	}
}

// TestBounceUnknownRemoteUser: sohu accepts a sina address it cannot check;
// sina refuses it during relay, and gacl gets a delivery status report.
func TestBounceUnknownRemoteUser(t *testing.T) {
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	c := smtpAuthenticated(t, sb, "sohu.com", "gacl")
	c.cmd("MAIL FROM:<gacl@sohu.com>", "250")
	c.cmd("RCPT TO:<nobody@sina.com>", "250 2.1.5")
	c.cmd("DATA", "354")
	c.send("Subject: lost\r\n\r\nhello\r\n.")
	c.expect("250")
	select {
	case <-stored:
	case <-time.After(5 * time.Second):
		t.Fatal("no bounce stored")
	}
	data, _ := sb.Store().Read(Address{"gacl", "sohu.com"}, firstID(t, sb, "gacl", "sohu.com"))
	for _, want := range []string{"multipart/report; report-type=delivery-status", "Final-Recipient: rfc822; nobody@sina.com", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1", "Subject: lost"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("bounce lacks %q:\n%s", want, data)
		}
	}
}

// TestReplyInjection: nothing a client sends comes back with a raw
// control character: each reply that quotes the client is exactly one
// line, with '?' where a control character was, and the next command's
// reply follows it.
func TestReplyInjection(t *testing.T) {
	tests := []struct{ send, want string }{
		{"MAIL FROM:<a\rb@y.z>", "501 5.1.7 bad sender address: a?b@y.z"},
		{"MAIL FROM:<a\x1b[2Jb@y.z>", "501 5.1.7 bad sender address: a?[2Jb@y.z"},
		{"FOO\x00\x01", "500 5.5.1 command not recognized: FOO??"},
		{"EHLO x\ry", "250 HELP"},
		{"HELO x\ry", "250 smtp.sohu.com greets x?y"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.send), func(t *testing.T) {
			c := ehlo(t)
			c.send(tt.send)
			if got := c.reply(); got != tt.want {
				t.Errorf("reply %q, want exactly %q", got, tt.want)
			}
			if got := c.cmd("NOOP", "250"); got != "250 2.0.0 OK" {
				t.Errorf("after it, NOOP got %q: the reply had more lines than one", got)
			}
		})
	}
}

// TestDataLineTooLong refuses, after the final '.', a message with a line
// longer than 64 KiB, and the session goes on.
func TestDataLineTooLong(t *testing.T) {
	c := ehlo(t)
	c.cmd("MAIL FROM:<x@y.z>", "250")
	c.cmd("RCPT TO:<aaa@sohu.com>", "250")
	c.cmd("DATA", "354")
	c.send("Subject: long")
	c.send(strings.Repeat("z", 70<<10))
	c.cmd(".", "554 5.6.0")
	c.cmd("NOOP", "250")
}
