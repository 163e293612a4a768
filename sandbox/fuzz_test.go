package sandbox

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/trace"
)

// Fuzz targets for the servers: random byte streams fed to whole SMTP and
// POP3 sessions must never panic, hang, or produce a malformed reply.
// Run with go test -fuzz=FuzzSMTPSession ./sandbox (crashers are kept in
// testdata/fuzz).

var fuzzSB struct {
	once sync.Once
	sb   *Sandbox
}

// fuzzSandbox is one sandbox shared by all fuzz inputs; sessions are fed
// through net.Pipe, so no port is needed.
func fuzzSandbox(t testing.TB) *Sandbox {
	fuzzSB.once.Do(func() {
		sb, err := Start(Config{RandomPorts: true, IdleTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		fuzzSB.sb = sb
	})
	return fuzzSB.sb
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
	for _, s := range smtpSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		sb := fuzzSandbox(t)
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
	for _, s := range pop3Seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		sb := fuzzSandbox(t)
		p := sb.world.Providers[1]
		owner := Address{"bbb", "sina.com"}
		if infos, _ := sb.store.List(owner); len(infos) == 0 {
			sb.store.Deliver(owner, []byte("Subject: fuzz\r\n\r\n.dot\r\nbody\r\n"))
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
