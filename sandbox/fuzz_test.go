package sandbox

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"maillab/sandbox/certs"
	"maillab/trace"
)

// Fuzz targets for the servers: random byte streams fed to whole SMTP and
// POP3 sessions must never panic, hang, or produce a malformed reply.
// Run with go test -fuzz=FuzzSMTPSession ./sandbox (crashers are kept in
// testdata/fuzz).

// fuzzSandbox is one sandbox shared by all the inputs of a fuzz target
// (sessions are fed through net.Pipe, so no port is needed), closed when
// the target ends.
func fuzzSandbox(f *testing.F) *Sandbox {
	return startTestSandbox(f, func(c *Config) { c.IdleTimeout = 30 * time.Second })
}

// feed runs a session over a pipe with input as everything the client
// says, and returns every line the server wrote.
func feed(t *testing.T, serve func(net.Conn), input []byte) []string {
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() { serve(server); close(done) }()
	var lines []string
	read := make(chan struct{})
	go func() {
		defer close(read)
		br := bufio.NewReader(client)
		for {
			l, err := br.ReadString('\n')
			if l != "" {
				lines = append(lines, l)
			}
			if err != nil {
				return
			}
		}
	}()
	client.SetWriteDeadline(time.Now().Add(5 * time.Second))
	client.Write(input)
	client.Write([]byte("\r\n.\r\nQUIT\r\n")) // "." ends an open DATA
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatalf("session hung on input %q", input)
	}
	client.Close()
	<-read
	return lines
}

var smtpSeeds = []string{
	"EHLO a\r\nAUTH LOGIN\r\nZ2FjbA==\r\nMTIzNDU2\r\nMAIL FROM:<gacl@sohu.com>\r\nRCPT TO:<bbb@sina.com>\r\nDATA\r\nSubject: x\r\n\r\n..y\r\n.\r\n",
	"HELO a\nMAIL FROM:<> SIZE=10\nRCPT TO:<aaa@sohu.com>\nDATA\n.\n",
	"EHLO a\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN AGdhY2wAMTIzNDU2\r\nRSET\r\nVRFY x\r\nHELP\r\nNOOP\r\n",
	"\x00\xff\r\n" + strings.Repeat("A", 600) + "\r\nMAIL FROM:<@a,@b:c@d>\r\n",
}

func FuzzSMTPSession(f *testing.F) {
	sb := fuzzSandbox(f)
	for _, s := range smtpSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		p := sb.world.Providers[0]
		lines := feed(t, func(c net.Conn) { sb.newSMTPSession(p, sb.newLink(c, trace.TapConfig{Proto: trace.SMTP})).serve() }, input)
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "220 ") {
			t.Fatalf("no greeting: %q", lines)
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, "\r\n") || !validReply(strings.TrimSuffix(l, "\r\n")) {
				t.Fatalf("malformed reply %q to input %q", l, input)
			}
		}
	})
}

var pop3Seeds = []string{
	"USER bbb\r\nPASS 123456\r\nSTAT\r\nLIST\r\nRETR 1\r\nTOP 1 0\r\nUIDL\r\nDELE 1\r\nRSET\r\nCAPA\r\n",
	"PASS x\nUSER\nLIST -1\nRETR 99999999999999999999\nTOP 1\n",
	"USER bbb@sina.com\r\nPASS 123456\r\nDELE 1\r\nDELE 1\r\nLIST 1\r\nNOOP\r\n",
}

func FuzzPOP3Session(f *testing.F) {
	sb := fuzzSandbox(f)
	for _, s := range pop3Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		p := sb.world.Providers[1]
		owner := Address{"bbb", "sina.com"}
		if infos, _ := sb.store.List(owner); len(infos) == 0 {
			sb.store.Deliver(owner, []byte("Subject: fuzz\r\n\r\n.dot\r\nbody\r\n"), Meta{})
		}
		lines := feed(t, func(c net.Conn) { sb.newPOP3Session(p, sb.newLink(c, trace.TapConfig{Proto: trace.POP3})).serve() }, input)
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "+OK ") {
			t.Fatalf("no greeting: %q", lines)
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, "\r\n") || strings.ContainsAny(strings.TrimSuffix(l, "\r\n"), "\r\n") {
				t.Fatalf("malformed line %q", l)
			}
		}
	})
}

func FuzzCommandParsing(f *testing.F) {
	for _, s := range []string{"FROM:<a@b.c> SIZE=1", "TO:<@x:y@z>", "FROM: <>", "TO:a@b", "FROM:<a@b", "from:<a@b.c>BODY=8BITMIME"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, prefix := range []string{"FROM:", "TO:"} {
			path, params, ok := cutPath(arg, prefix)
			if !ok {
				continue
			}
			if a, err := ParseAddress(path); err == nil {
				if strings.ContainsAny(a.String(), " <>\r\n") {
					t.Fatalf("address %q from %q", a, arg)
				}
			}
			for _, p := range params {
				if strings.ContainsAny(p, " ") {
					t.Fatalf("parameter with a space: %q", p)
				}
			}
		}
	})
}

// fuzzTLSSandbox is a fuzz target's sandbox with a CA in memory.
func fuzzTLSSandbox(f *testing.F) *Sandbox {
	ca, err := certs.Open("")
	if err != nil {
		f.Fatal(err)
	}
	return startTestSandbox(f, func(c *Config) { c.IdleTimeout, c.Certs, c.TapServers = 30*time.Second, ca, true })
}

// FuzzTLSUpgrade: junk before STARTTLS (or STLS), pipelined right after
// it, and inside TLS afterwards. The session never panics or hangs, and
// what it says in plaintext stays well formed.
func FuzzTLSUpgrade(f *testing.F) {
	sb := fuzzTLSSandbox(f)
	f.Add([]byte("EHLO a\r\n"), []byte("RSET\r\n"), []byte("EHLO b\r\nAUTH PLAIN AGdhY2wAMTIzNDU2\r\n"), false)
	f.Add([]byte(""), []byte("USER bbb\r\n"), []byte("PASS 123456\r\nSTAT\r\n"), true)
	f.Add([]byte("EHLO a\r\nDATA\r\n"), []byte("\x16\x03\x01\x00\x05"), []byte("\x00\xff"), false)
	f.Add([]byte("CAPA\r\n"), []byte(strings.Repeat("X", 5000)), []byte("CAPA\r\n"), true)
	f.Fuzz(func(t *testing.T, before, injected, after []byte, pop3 bool) {
		verb, ready, host := "STARTTLS", "220 2.0.0", "smtp.sohu.com"
		serve := func(c net.Conn) {
			sb.newSMTPSession(sb.world.Providers[0], sb.newLink(c, trace.TapConfig{Proto: trace.SMTP, Server: host})).serve()
		}
		if pop3 {
			verb, ready, host = "STLS", "+OK begin TLS", "pop3.sohu.com"
			serve = func(c net.Conn) {
				sb.newPOP3Session(sb.world.Providers[0], sb.newLink(c, trace.TapConfig{Proto: trace.POP3, Server: host})).serve()
			}
		}
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() { serve(server); close(done) }()
		defer func() {
			client.Close()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				t.Fatalf("session hung: %q %q %q", before, injected, after)
			}
		}()
		written := make(chan struct{})
		go func() {
			// "." and QUIT end a session that never reached TLS; once TLS
			// is agreed they are part of the discarded plaintext
			client.Write(slices.Concat(before, []byte(verb+"\r\n"), injected, []byte("\r\n.\r\nQUIT\r\n")))
			client.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			close(written)
		}()
		client.SetReadDeadline(time.Now().Add(2 * time.Second))
		br := bufio.NewReader(client)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return // the session ended (or wants more than we send) before TLS
			}
			if !strings.HasSuffix(l, "\r\n") || strings.ContainsAny(strings.TrimSuffix(l, "\r\n"), "\r\n") {
				t.Fatalf("malformed line %q", l)
			}
			if strings.HasPrefix(l, ready) && br.Buffered() == 0 {
				break
			}
		}
		select {
		case <-written:
		case <-time.After(300 * time.Millisecond):
			return // the server reads the rest as TLS: a failed handshake
		}
		tc := tls.Client(client, sb.Certs().ClientConfig(host))
		tc.SetDeadline(time.Now().Add(500 * time.Millisecond))
		if tc.Handshake() != nil {
			return
		}
		tc.Write(append(append([]byte{}, after...), "\r\nQUIT\r\n"...))
		io.Copy(io.Discard, tc)
	})
}
