package sandbox

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"maillab/sandbox/sandboxtest"
)

// screen is what an interactive client under a pseudo-terminal printed;
// a test waits for text to appear as the client prints it.
type screen struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

// startOnPTY runs a terminal client and records its output.
func startOnPTY(t *testing.T, cmd *exec.Cmd) (*os.File, *screen) {
	t.Helper()
	f, err := pty.Start(cmd)
	if err != nil {
		sandboxtest.Unavailable(t, "no pseudo-terminal here: %v", err)
	}
	pty.Setsize(f, &pty.Winsize{Rows: 40, Cols: 160})
	sc := &screen{changed: make(chan struct{}, 1)}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			sc.mu.Lock()
			sc.buf.Write(b[:n])
			sc.mu.Unlock()
			select {
			case sc.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		f.Close()
		if cmd.Process != nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return f, sc
}

// waitFor waits until the client has printed text.
func (sc *screen) waitFor(t *testing.T, text string) { t.Helper(); sc.waitAfter(t, 0, text) }

// mark is where the output is now: what the client prints from here on
// answers what is typed next.
func (sc *screen) mark() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.buf.Len()
}

// waitAfter waits until the client has printed text after the mark.
func (sc *screen) waitAfter(t *testing.T, mark int, text string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		sc.mu.Lock()
		ok := strings.Contains(sc.buf.String()[mark:], text)
		sc.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-sc.changed:
		case <-deadline:
			sc.mu.Lock()
			defer sc.mu.Unlock()
			t.Fatalf("waited for %q after what was typed last; the client shows:\n%s", text, sc.buf.String())
		}
	}
}

// typeLine types a line into the client and waits for want in what the
// client prints after it: the answer to this line, not an earlier one.
func (sc *screen) typeLine(t *testing.T, f *os.File, line, want string) {
	t.Helper()
	mark := sc.mark()
	f.Write([]byte(line + "\r"))
	sc.waitAfter(t, mark, want)
}

// TestTelnetSeedSession types the tutorial's session into telnet, as a
// learner does, and fetches the message back with telnet too: each
// answer is looked for in what telnet printed after its command.
func TestTelnetSeedSession(t *testing.T) {
	requireTool(t, "telnet")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	host, port := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	f, sc := startOnPTY(t, exec.Command("telnet", host, port))
	sc.waitFor(t, "220 smtp.sohu.com")
	for _, step := range []struct{ line, want string }{
		{"EHLO gacl", "250 HELP"}, {"AUTH LOGIN", "334 VXNlcm5hbWU6"}, {"Z2FjbA==", "334 UGFzc3dvcmQ6"},
		{"MTIzNDU2", "235 2.7.0"}, {"MAIL FROM:<gacl@sohu.com>", "250 2.1.0"}, {"RCPT TO:<bbb@sina.com>", "250 2.1.5"},
		{"DATA", "354 "},
	} {
		sc.typeLine(t, f, step.line, step.want)
	}
	mark := sc.mark()
	for _, line := range []string{"From: <gacl@sohu.com>", "To: <bbb@sina.com>", "Subject: hello", "", "hello gacl", "."} {
		f.Write([]byte(line + "\r"))
	}
	sc.waitAfter(t, mark, "250 2.0.0 OK, message accepted")
	sc.typeLine(t, f, "QUIT", "221 2.0.0")
	waitFor(t, stored)

	host, port = hostPort(t, pop3Addr(t, sb, "sina.com"))
	f, sc = startOnPTY(t, exec.Command("telnet", host, port))
	sc.waitFor(t, "+OK pop3.sina.com")
	for _, step := range []struct{ line, want string }{
		{"USER bbb", "+OK now send PASS"}, {"PASS 123456", "has 1 message"}, {"STAT", "+OK 1 "},
		{"LIST", "+OK 1 message ("}, {"RETR 1", "hello gacl"}, {"QUIT", "signing off"},
	} {
		sc.typeLine(t, f, step.line, step.want)
	}
}

// TestMutt sends with mutt's SMTP client (AUTH, relay) and reads the
// mailbox with mutt over POP3.
func TestMutt(t *testing.T) {
	mutt := requireTool(t, "mutt")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	home := t.TempDir()
	os.Mkdir(home+"/Mail", 0o700) // else mutt asks whether to create it
	smtpHost, smtpPort := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	send := exec.Command(mutt, "-n", "-F", "/dev/null",
		"-e", `set smtp_url="smtp://gacl:123456@`+smtpHost+":"+smtpPort+`/"`,
		"-e", "set from=gacl@sohu.com", "-e", "set ssl_starttls=no", "-e", "set ssl_force_tls=no", "-e", `set record=""`,
		"-s", "sent by mutt", "bbb@sina.com")
	send.Env = append(os.Environ(), "HOME="+home)
	send.Stdin = strings.NewReader("hello from mutt\n")
	if out, err := send.CombinedOutput(); err != nil {
		t.Fatalf("mutt send: %v\n%s", err, out)
	}
	waitFor(t, stored)

	popHost, popPort := hostPort(t, pop3Addr(t, sb, "sina.com"))
	read := exec.Command(mutt, "-n", "-F", "/dev/null", "-e", "set ssl_starttls=no", "-e", "set ssl_force_tls=no",
		"-f", "pop://bbb:123456@"+popHost+":"+popPort+"/")
	read.Env = append(os.Environ(), "HOME="+home, "TERM=xterm")
	f, sc := startOnPTY(t, read)
	sc.waitFor(t, "sent by mutt")
	f.Write([]byte("q"))
}
