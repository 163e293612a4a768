package sandbox

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
)

// Real mail clients against the sandbox. Each test skips, saying why, when
// its client is not installed (and fails under MAILLAB_REQUIRE_TOOLS=1,
// as in CI, where .ci/run installs them all).

func requireTool(t *testing.T, name string) string {
	t.Helper()
	return sandboxtest.NeedTool(t, name)
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

// TestSwaksPipelines: the server advertises PIPELINING (RFC 2920) and
// swaks --pipeline sends MAIL, RCPT and DATA in one go; the replies come
// back in order and the message arrives.
func TestSwaksPipelines(t *testing.T) {
	requireTool(t, "swaks")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	out := run(t, "", "swaks", "--pipeline", "--server", smtpAddr(t, sb, "sohu.com"),
		"--from", "gacl@sohu.com", "--to", "aaa@sohu.com", "--to", "bbb@sina.com",
		"--auth", "PLAIN", "--auth-user", "gacl", "--auth-password", "123456", "--header", "Subject: pipelined")
	for _, want := range []string{"250-PIPELINING", "250 2.1.0 sender <gacl@sohu.com> OK", "354 ", "250 2.0.0 OK, message accepted"} {
		if !strings.Contains(out, want) {
			t.Fatalf("swaks --pipeline: no %q in\n%s", want, out)
		}
	}
	if strings.Index(out, "-> DATA") > strings.Index(out, "<-  250 2.1.0") {
		t.Errorf("swaks waited for MAIL's reply: it did not pipeline\n%s", out)
	}
	waitFor(t, stored)
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
// LF line ends, and checks each reply against the command it answers.
func TestNetcatBareLF(t *testing.T) {
	requireTool(t, "nc")
	sb := startTestSandbox(t)
	stored, cancel := waitStored(sb)
	defer cancel()
	host, port := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	smtp := []struct{ send, want string }{
		{"", "220 smtp.sohu.com"}, {"EHLO nc", "250 HELP"}, {"AUTH LOGIN", "334 VXNlcm5hbWU6"},
		{"Z2FjbA==", "334 UGFzc3dvcmQ6"}, {"MTIzNDU2", "235 2.7.0"},
		{"MAIL FROM:<gacl@sohu.com>", "250 2.1.0"}, {"RCPT TO:<bbb@sina.com>", "250 2.1.5"}, {"DATA", "354 "},
		{"From: <gacl@sohu.com>\nTo: <bbb@sina.com>\nSubject: hello\n\nhello gacl\n.", "250 2.0.0 OK, message accepted"},
		{"QUIT", "221 2.0.0"},
	}
	var typed strings.Builder
	for _, x := range smtp[1:] {
		typed.WriteString(x.send + "\n")
	}
	replies := smtpReplies(run(t, typed.String(), "nc", "-N", host, port))
	if len(replies) != len(smtp) {
		t.Fatalf("%d replies for %d commands and the greeting: %q", len(replies), len(smtp)-1, replies)
	}
	for i, x := range smtp {
		if !strings.HasPrefix(replies[i], x.want) {
			t.Errorf("%q was answered %q, want %q", x.send, replies[i], x.want)
		}
	}
	waitFor(t, stored)

	host, port = hostPort(t, pop3Addr(t, sb, "sina.com"))
	pop3 := []struct{ send, want string }{
		{"", "+OK pop3.sina.com"}, {"USER bbb", "+OK now send PASS"}, {"PASS 123456", "+OK bbb@sina.com has 1 message"},
		{"STAT", "+OK 1 "}, {"LIST", "+OK 1 message ("}, {"RETR 1", "+OK "}, {"QUIT", "+OK pop3.sina.com signing off"},
	}
	typed.Reset()
	for _, x := range pop3[1:] {
		typed.WriteString(x.send + "\n")
	}
	answers := pop3Answers(run(t, typed.String(), "nc", "-N", host, port), []string{"", "USER", "PASS", "STAT", "LIST", "RETR", "QUIT"})
	if len(answers) != len(pop3) {
		t.Fatalf("%d answers for %d commands and the greeting: %q", len(answers), len(pop3)-1, answers)
	}
	for i, x := range pop3 {
		if !strings.HasPrefix(answers[i][0], x.want) {
			t.Errorf("%q was answered %q, want %q", x.send, answers[i][0], x.want)
		}
	}
	if list := answers[4]; len(list) != 2 || !strings.HasPrefix(list[1], "1 ") {
		t.Errorf("LIST's lines %q, want one for message 1", list)
	}
	if retr := strings.Join(answers[5], "\n"); !strings.Contains(retr, "\n\nhello gacl") {
		t.Errorf("RETR 1 gave:\n%s", retr)
	}
}

// smtpReplies cuts what a server wrote into its replies, each a reply's
// last line (continuation lines "250-..." belong to the reply after them).
func smtpReplies(out string) []string {
	var replies []string
	for _, l := range strings.Split(strings.TrimRight(out, "\r\n"), "\n") {
		l = strings.TrimRight(l, "\r")
		if len(l) >= 4 && l[3] == '-' {
			continue
		}
		replies = append(replies, l)
	}
	return replies
}

// pop3Answers cuts what a POP3 server wrote into the answers to verbs (""
// for the greeting): a status line, and after +OK to a multi-line
// command its lines up to ".", which is left out.
func pop3Answers(out string, verbs []string) [][]string {
	lines := strings.Split(strings.TrimRight(out, "\r\n"), "\n")
	var answers [][]string
	for _, verb := range verbs {
		if len(lines) == 0 {
			break
		}
		answer := []string{strings.TrimRight(lines[0], "\r")}
		lines = lines[1:]
		if strings.HasPrefix(answer[0], "+OK") && (verb == "LIST" || verb == "RETR") {
			for len(lines) > 0 {
				l := strings.TrimRight(lines[0], "\r")
				lines = lines[1:]
				if l == "." {
					break
				}
				answer = append(answer, l)
			}
		}
		answers = append(answers, answer)
	}
	return answers
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
