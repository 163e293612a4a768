package sandbox

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Real mail clients against the sandbox. Each test skips, saying why, when
// its client is not installed; .ci/run installs them all.

func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s); skipping this real-client test", name, debianPackage(name))
	}
	return path
}

func debianPackage(tool string) string {
	switch tool {
	case "nc":
		return "netcat-openbsd"
	case "python3":
		return "python3"
	}
	return tool
}

// run runs a client command with a time limit and returns its output.
func run(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s hung; output so far:\n%s", name, out)
	}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func hostPort(t *testing.T, addr string) (string, string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// waitFor waits until a message is stored (the relay runs in the
// background) and fails after a few seconds.
func waitFor(t *testing.T, stored <-chan string) {
	t.Helper()
	select {
	case <-stored:
	case <-time.After(5 * time.Second):
		t.Fatal("the message was never stored")
	}
}

func TestSwaksRelayAndCurlPOP3(t *testing.T) {
	requireTool(t, "swaks")
	requireTool(t, "curl")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()

	out := run(t, "", "swaks", "--server", smtpAddr(t, sb, "sohu.com"),
		"--from", "gacl@sohu.com", "--to", "bbb@sina.com",
		"--auth", "LOGIN", "--auth-user", "gacl", "--auth-password", "123456",
		"--header", "Subject: from swaks", "--body", "sent by swaks")
	if !strings.Contains(out, "250 2.0.0 OK, message accepted") {
		t.Fatalf("swaks did not get the message accepted:\n%s", out)
	}
	waitFor(t, stored)

	host, port := hostPort(t, pop3Addr(t, sb, "sina.com"))
	msg := run(t, "", "curl", "-sS", "--max-time", "10", "pop3://"+host+":"+port+"/1", "-u", "bbb:123456")
	if !strings.Contains(msg, "Subject: from swaks") || !strings.Contains(msg, "sent by swaks") {
		t.Fatalf("curl retrieved:\n%s", msg)
	}
	list := run(t, "", "curl", "-sS", "--max-time", "10", "pop3://"+host+":"+port+"/", "-u", "bbb@sina.com:123456")
	if !strings.HasPrefix(list, "1 ") {
		t.Fatalf("curl LIST: %q", list)
	}
}

func TestSwaksAuthPlainAndRefusals(t *testing.T) {
	requireTool(t, "swaks")
	sb := startTestSandbox(t)
	addr := smtpAddr(t, sb, "sohu.com")
	out := run(t, "", "swaks", "--server", addr, "--from", "aaa@sohu.com", "--to", "gacl@sina.com",
		"--auth", "PLAIN", "--auth-user", "aaa@sohu.com", "--auth-password", "123456")
	if !strings.Contains(out, "235 2.7.0") {
		t.Fatalf("AUTH PLAIN failed:\n%s", out)
	}
	// without AUTH, relaying is refused; swaks exits non-zero, so run it by hand
	cmd := exec.Command("swaks", "--server", addr, "--from", "aaa@sohu.com", "--to", "gacl@sina.com")
	outb, _ := cmd.CombinedOutput()
	if !strings.Contains(string(outb), "550 5.7.1") {
		t.Fatalf("relay without AUTH was not refused with 550 5.7.1:\n%s", outb)
	}
}

func TestCurlSMTPSubmission(t *testing.T) {
	requireTool(t, "curl")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	host, port := hostPort(t, smtpAddr(t, sb, "sina.com"))
	run(t, "Subject: from curl\r\n\r\nsent by curl\r\n", "curl", "-sS", "--max-time", "10",
		"smtp://"+host+":"+port, "--mail-from", "bbb@sina.com", "--mail-rcpt", "gacl@sohu.com",
		"-u", "bbb:123456", "--upload-file", "-")
	waitFor(t, stored)
	data, _ := sb.Store().Read(Address{"gacl", "sohu.com"}, firstID(t, sb, "gacl", "sohu.com"))
	if !strings.Contains(string(data), "sent by curl") {
		t.Fatalf("gacl@sohu.com got:\n%s", data)
	}
}

// TestNetcatBareLF types the seed's session through nc, which sends bare
// LF line ends.
func TestNetcatBareLF(t *testing.T) {
	requireTool(t, "nc")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	host, port := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	session := strings.Join([]string{
		"EHLO nc", "AUTH LOGIN", "Z2FjbA==", "MTIzNDU2",
		"MAIL FROM:<gacl@sohu.com>", "RCPT TO:<bbb@sina.com>", "DATA",
		"From: <gacl@sohu.com>", "To: <bbb@sina.com>", "Subject: hello", "", "hello gacl", ".",
		"QUIT", ""}, "\n")
	out := run(t, session, "nc", "-N", host, port)
	for _, want := range []string{"235 2.7.0", "354 ", "250 2.0.0 OK, message accepted", "221 2.0.0"} {
		if !strings.Contains(out, want) {
			t.Fatalf("nc session lacks %q:\n%s", want, out)
		}
	}
	waitFor(t, stored)

	host, port = hostPort(t, pop3Addr(t, sb, "sina.com"))
	out = run(t, "USER bbb\nPASS 123456\nSTAT\nLIST\nRETR 1\nQUIT\n", "nc", "-N", host, port)
	if !strings.Contains(out, "+OK 1 ") || !strings.Contains(out, "hello gacl") {
		t.Fatalf("POP3 over nc:\n%s", out)
	}
}

const pythonSMTP = `
import smtplib, sys
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=10) as s:
    s.login("gacl", "123456")
    s.sendmail("gacl@sohu.com", ["bbb@sina.com"], "Subject: from python\r\n\r\n.line with a dot\r\nsent by smtplib\r\n")
`

const pythonPOP3 = `
import poplib, sys
p = poplib.POP3(sys.argv[1], int(sys.argv[2]), timeout=10)
p.user("bbb"); p.pass_("123456")
print("stat", p.stat())
print("capa", sorted(p.capa().keys()))
resp, lines, octets = p.retr(1)
print("octets", octets)
print(b"\n".join(lines).decode())
print("uidl", p.uidl()[1])
p.dele(1)
p.quit()
`

func TestPythonSmtplibPoplib(t *testing.T) {
	py := requireTool(t, "python3")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	sh, sp := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	run(t, "", py, "-c", pythonSMTP, sh, sp)
	waitFor(t, stored) // relayed to sina and stored

	ph, pp := hostPort(t, pop3Addr(t, sb, "sina.com"))
	out := run(t, "", py, "-c", pythonPOP3, ph, pp)
	for _, want := range []string{"stat (1, ", "'TOP'", "'UIDL'", "'USER'", "Subject: from python", ".line with a dot", "sent by smtplib"} {
		if !strings.Contains(out, want) {
			t.Fatalf("python clients lack %q:\n%s", want, out)
		}
	}
	if infos, _ := sb.Store().List(Address{"bbb", "sina.com"}); len(infos) != 0 {
		t.Fatalf("DELE then QUIT should leave the mailbox empty, it has %d", len(infos))
	}
}

// pythonPostmaster sends to <Postmaster> (no domain) with smtplib, then
// lists an empty mailbox and fetches the postmaster's with poplib.
const pythonPostmaster = `
import smtplib, poplib, sys
host, sport, pport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = smtplib.SMTP(host, sport)
s.ehlo("learner")
s.sendmail("a@example.org", ["Postmaster"], "Subject: to the postmaster\r\n\r\nhello\r\n")
s.quit()
p = poplib.POP3(host, pport)
p.user("aaa"); p.pass_("123456")
print("empty list", p.list()[1], p.uidl()[1])
p.quit()
p = poplib.POP3(host, pport)
p.user("postmaster"); p.pass_("123456")
print("postmaster has", p.stat()[0])
print(b"\n".join(p.retr(1)[1]).decode())
p.quit()
`

// TestPostmasterAndEmptyLists: RFC 5321 4.5.1's <Postmaster> is accepted
// and read by POP3, and Python's poplib lists an empty mailbox as [].
func TestPostmasterAndEmptyLists(t *testing.T) {
	py := requireTool(t, "python3")
	sb := startTestSandbox(t)
	sh, sp := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	_, pp := hostPort(t, pop3Addr(t, sb, "sohu.com"))
	out := run(t, "", py, "-c", pythonPostmaster, sh, sp, pp)
	for _, want := range []string{"empty list [] []", "postmaster has 1", "Return-Path: <a@example.org>", "Subject: to the postmaster"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}

func TestVrfyNeedsAnArgument(t *testing.T) {
	c := smtpSessionGreeted(t, startTestSandbox(t), "sina.com")
	c.cmd("VRFY", "501 5.5.4 syntax: VRFY user")
	c.cmd("VRFY bbb", "252 2.5.0")
}
