package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"maillab/sandbox/sandboxtest"
)

// testStreams returns streams over buffers: not a terminal, colour allowed
// only when asked for.
func testStreams(stdin string) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: strings.NewReader(stdin), Out: out, ErrOut: errOut}, out, errOut
}

// execute runs maillab with args and returns stdout, stderr and the error.
func execute(t *testing.T, ctx context.Context, stdin string, args ...string) (string, string, error) {
	t.Helper()
	streams, out, errOut := testStreams(stdin)
	root := newRootCmd(streams, args)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestPlayJSON(t *testing.T) {
	out, errOut, err := execute(t, context.Background(), "", "play", "--format", "json", "--subject", "json test")
	if err != nil {
		t.Fatal(err)
	}
	steps := map[float64]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		steps[e["step"].(float64)] = true
	}
	for s := 1.0; s <= 6; s++ {
		if !steps[s] {
			t.Errorf("no event of step %v", s)
		}
	}
	if !strings.Contains(out, "Subject: json test") || !strings.Contains(errOut, "delivered:") {
		t.Errorf("subject in transcript / summary on stderr missing:\n%s\n%s", out, errOut)
	}
}

// TestPlayJSONOverTLS: with --tls starttls the relay's handshake is an
// event of step 2 in the JSON, and the relayed lines are marked "tls".
func TestPlayJSONOverTLS(t *testing.T) {
	out, _, err := execute(t, context.Background(), "", "play", "--tls", "starttls", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var relayTLS, relayEncrypted bool
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Step   int    `json:"step"`
			Action string `json:"action"`
			TLS    bool   `json:"tls"`
			Line   string `json:"line"`
			Facts  struct {
				Verified string `json:"verified"`
			} `json:"facts"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		if e.Step == 2 && e.Action == "tls" && e.Facts.Verified != "" {
			relayTLS = true
		}
		if e.Step == 2 && e.TLS && strings.HasPrefix(e.Line, "MAIL FROM") {
			relayEncrypted = true
		}
	}
	if !relayTLS || !relayEncrypted {
		t.Errorf("relay handshake %v, relay MAIL FROM encrypted %v:\n%s", relayTLS, relayEncrypted, out)
	}
}

func TestPlayTextAndColour(t *testing.T) {
	plain, _, err := execute(t, context.Background(), "", "play", "--color", "never")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "\x1b[") || !strings.Contains(plain, "① the client at 127.0.0.1:") || !strings.Contains(plain, "delivered: gacl@sohu.com → bbb@sina.com, 2 hops") {
		t.Errorf("plain output:\n%s", plain)
	}
	coloured, _, _ := execute(t, context.Background(), "", "play", "--color", "always")
	if !strings.Contains(coloured, "\x1b[") {
		t.Error("--color always gave no colour")
	}
}

func TestPlayStepReadsEnter(t *testing.T) {
	out, errOut, err := execute(t, context.Background(), "\n\n\n\n\n\n", "play", "--step", "--color", "never")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(errOut, "[press Enter for step") != 6 || !strings.Contains(out, "delivered") {
		t.Errorf("--step prompts:\n%s", errOut)
	}
}

func TestPlayRefusedIsExplained(t *testing.T) {
	out, _, err := execute(t, context.Background(), "", "play", "--to", "nobody@sohu.com", "--color", "never")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "550 5.1.1") || !strings.Contains(out, "no such user at this provider") || !strings.Contains(out, "refused at step ①") {
		t.Errorf("refusal not explained:\n%s", out)
	}
}

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"play", "--format", "xml"}, "unknown format"},
		{[]string{"play", "--color", "pink"}, "choose auto, always or never"},
		{[]string{"play", "--from", "nobody@sohu.com"}, "not a sandbox account"},
		{[]string{"play", "--delay", "-1s"}, "must not be negative"},
		{[]string{"play", "--subject", "hi\r\nBcc: x@evil.com"}, "--subject: must be one line"},
		{[]string{"play", "--to", "bbb@sina.com\nBcc: x@evil.com"}, "--to: must be one line"},
		{[]string{"play", "--to", "bbb\u202e@sina.com"}, "not allowed in an address"},
		{[]string{"sandbox", "--only", "gmail.com"}, "no such provider"},
		{[]string{"sandbox", "--listen", "not-an-ip"}, "give an IP address"},
		{[]string{"sandbox", "--port-offset", "-5"}, "between 0 and 60000"},
	}
	for _, tt := range tests {
		out, _, err := execute(t, context.Background(), "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
		if out != "" {
			t.Errorf("%v drew before it failed:\n%s", tt.args, out)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, _, err := execute(t, context.Background(), "", "--version")
	if err != nil || !strings.Contains(out, "maillab version") {
		t.Errorf("--version: %q %v", out, err)
	}
	for _, cmd := range []string{"play", "sandbox"} {
		out, _, _ := execute(t, context.Background(), "", cmd, "--help")
		if !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help has no examples:\n%s", cmd, out)
		}
	}
}

// ports is this package's range of port offsets.
var ports = sandboxtest.Range{First: 10000, Last: 17000, Step: 137}

func freeOffset(t *testing.T) int { return ports.FreeOffset(t) }

func TestSandboxServesAndStops(t *testing.T) {
	offset := freeOffset(t)
	ctx, cancel := context.WithCancel(context.Background())
	streams, out, errOut := testStreams("")
	g := &globalOptions{IO: streams, Color: "never"}
	started := make(chan struct{})
	cmd := newCmdSandbox(g, nil)
	opts := &sandboxOptions{globalOptions: g, Listen: "127.0.0.1", PortOffset: offset,
		RetryInterval: time.Second, MaxQueueAge: time.Minute, MaxMessageSize: 1 << 20, MaxConns: 10,
		TLS: "on", started: func() { close(started) }}
	cmd.SetContext(ctx)
	done := make(chan error)
	go func() { done <- sandboxRun(cmd, opts) }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("the sandbox did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the sandbox did not start within 10s")
	}

	addr := "127.0.0.1:" + strconv.Itoa(2525+offset)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _ := conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "220 smtp.sohu.com") {
		t.Fatalf("greeting %q", buf[:n])
	}
	cancel() // as Ctrl-C does
	n, _ = conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "421 4.3.2") {
		t.Errorf("an idle session should be told 421 4.3.2 on shutdown, got %q", buf[:n])
	}
	if err := sandboxtest.Receive(t, done, 10*time.Second, "the sandbox to stop"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "smtp.sohu.com  127.0.0.1:"+strconv.Itoa(2525+offset)) {
		t.Errorf("the table lacks sohu's SMTP address:\n%s", out)
	}
	if !strings.Contains(errOut.String(), "stopping") {
		t.Errorf("stderr: %s", errOut)
	}

	// a port in use names the port and --port-offset
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, _, err = execute(t, context.Background(), "", "sandbox", "--port-offset", strconv.Itoa(offset))
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(2525+offset)+" is already in use") || !strings.Contains(err.Error(), "--port-offset") {
		t.Errorf("port in use: %v", err)
	}
}

func TestDecodeCommand(t *testing.T) {
	tests := []struct {
		args             []string
		stdin            string
		wantOut, wantErr string
	}{
		{[]string{"decode", "=?GBK?B?08q8/rLiytQ=?="}, "", "邮件测试\n", ""},
		{[]string{"decode", "--charset", "gbk", "vPK1pbXE08q8/reiy82y4srUo6E="}, "", "简单的邮件发送测试！\n", ""},
		{[]string{"decode", "-q", "-"}, "Z2FjbA==\n", "gacl\n", ""},
		{[]string{"decode", "08q8/rliytq="}, "", "", "letter case looks changed"},
		{[]string{"decode", "--file", "../../trace/decode/testdata/nested.eml"}, "", "1.2 text/html; charset=Big5", ""},
		{[]string{"decode", "Z2FjbAo="}, "", "gacl", "ends with a newline (0a), which echo adds"},
		{[]string{"decode", "Vpk1pbxe08q8/reiY82y4sruo6e="}, "", "", "check its letter case"},
		{[]string{"decode", "=?UTF-8?B?G10wO1BXTkVEBw==?="}, "", `\x1b]0;PWNED\x07`, ""},
		{[]string{"decode", "-q", "=?UTF-8?B?G10wO1BXTkVEBw==?="}, "", "\x1b]0;PWNED\x07", ""}, // exact for a pipe
	}
	for _, tt := range tests {
		out, errOut, err := execute(t, context.Background(), tt.stdin, tt.args...)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("%v:\nstdout %q\nstderr %q", tt.args, out, errOut)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"decode", "Z2Fj!A=="}, "character '!' at position 5"},
		{[]string{"decode", "--charset", "klingon", "Z2FjbA=="}, `unknown charset "klingon"`},
		{[]string{"decode"}, "nothing to decode"},
		{[]string{"decode", "--file", "/no/such/file"}, "--file"},
		{[]string{"decode", "--save", "x", "Z2FjbA=="}, "not a message"},
		{[]string{"decode", "=?x-no-such-charset?B?AAAA?="}, `unknown charset "x-no-such-charset"`},
	}
	for _, tt := range tests {
		_, _, err := execute(t, context.Background(), "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestEncodeCommand(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"encode", "gacl"}, "Z2FjbA==\n"},
		{[]string{"encode", "--auth-plain", "gacl", "123456"}, "AGdhY2wAMTIzNDU2\n"},
		{[]string{"encode", "--word", "--charset", "GBK", "邮件测试"}, "=?GBK?B?08q8/rLiytQ=?=\n"},
		{[]string{"encode", "--word", "--q", "--charset", "iso-8859-1", "café"}, "=?ISO-8859-1?Q?caf=E9?=\n"},
	}
	for _, tt := range tests {
		out, _, err := execute(t, context.Background(), "", tt.args...)
		if err != nil || out != tt.want {
			t.Errorf("%v = %q, %v; want %q", tt.args, out, err, tt.want)
		}
	}
	if _, _, err := execute(t, context.Background(), "", "encode", "--auth-plain", "gacl"); err == nil {
		t.Error("--auth-plain with one argument should fail")
	}
}

func TestLessonCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	out, _, err := execute(t, context.Background(), "", "lesson", "list")
	if err != nil || !strings.Contains(out, " 3  AUTH LOGIN and Base64") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	_, _, err = execute(t, context.Background(), "EHLO me\nAUTH LOGIN\nZ2FjbA==\nMTIzNDU2\n", "lesson", "3", "--color", "never")
	if err != nil {
		t.Fatalf("lesson 3 with the right answers: %v", err)
	}
	out, _, _ = execute(t, context.Background(), "", "lesson", "list")
	if !strings.Contains(out, "✓  3") {
		t.Errorf("lesson 3 not marked as passed:\n%s", out)
	}
	_, errOut, err := execute(t, context.Background(), "EHLO me\nQUIT\n", "lesson", "3", "--color", "never")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code == 0 || !strings.Contains(errOut, "not passed") {
		t.Errorf("a lesson not passed must exit non-zero: %v %q", err, errOut)
	}
	out, _, err = execute(t, context.Background(), "", "lesson", "check", "2")
	if err != nil || !strings.Contains(out, "ok   lesson 2") {
		t.Errorf("check 2: %v %s", err, out)
	}
	if _, _, err := execute(t, context.Background(), "", "lesson", "99"); err == nil || !strings.Contains(err.Error(), "no lesson 99") {
		t.Errorf("lesson 99: %v", err)
	}
	out, errOut, err = execute(t, context.Background(), "", "lesson")
	if err != nil || !strings.Contains(out, " 1  Mail servers") || !strings.Contains(out, "start with: maillab lesson 1") || !strings.Contains(errOut, "progress is kept in") {
		t.Errorf("lesson with no argument: %v\n%s%s", err, out, errOut)
	}
	if _, errOut, err := execute(t, context.Background(), "", "lesson", "reset"); err != nil || !strings.Contains(errOut, "progress cleared") {
		t.Errorf("reset: %v %s", err, errOut)
	}
	if out, _, _ := execute(t, context.Background(), "", "lesson", "list"); strings.Contains(out, "✓") {
		t.Errorf("after reset:\n%s", out)
	}
	if _, _, err := execute(t, context.Background(), "", "lesson", "list", "--dir", "/nonexistent"); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("--dir /nonexistent: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "30-a.md"), []byte("no title\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "31-b.md"), []byte("# B\n```exercise smtp\ngoal: x\ncheck: reply 235\nsolution:\nEHLO me\n```\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.md"), []byte("# N\n"), 0o644)
	_, _, err = execute(t, context.Background(), "", "lesson", "check", "--dir", dir)
	for _, want := range []string{"30-a.md:1", "notes.md:1", "31-b.md:2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lesson check --dir reports %v, lacking %s", err, want)
		}
	}
}

func TestPracticeWithoutProtocol(t *testing.T) {
	_, _, err := execute(t, context.Background(), "", "practice")
	if err == nil || !strings.Contains(err.Error(), "maillab practice smtp") || !strings.Contains(err.Error(), "maillab practice pop3") {
		t.Errorf("practice with no argument: %v", err)
	}
}

func TestDecodeSavesAttachments(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := execute(t, context.Background(), "", "decode", "--file", "../../trace/decode/testdata/nested.eml", "--save", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `attachment "报告.txt" application/octet-stream, 256 octets`) || strings.Count(errOut, "maillab: saved ") != 3 {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestEncodeEdges(t *testing.T) {
	out, _, err := execute(t, context.Background(), "gacl\n", "encode", "-")
	if err != nil || out != "Z2FjbA==\n" {
		t.Errorf("encode - : %q %v", out, err)
	}
	if _, _, err := execute(t, context.Background(), "", "encode", "--charset", "gbk", "x"); err == nil || !strings.Contains(err.Error(), "--charset goes with --word") {
		t.Errorf("--charset without --word: %v", err)
	}
}

// TestCompletion: arguments and flag values complete to their choices,
// never to file names (cobra's directive 4: no file completion).
func TestCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "practice", ""}, []string{"smtp", "pop3"}},
		{[]string{"__complete", "play", "--format", ""}, []string{"text", "json", "markdown"}},
		{[]string{"__complete", "sandbox", "--only", ""}, []string{"sohu.com", "sina.com"}},
		{[]string{"__complete", "play", "--color", ""}, []string{"auto", "always", "never"}},
		{[]string{"__complete", "lesson", ""}, []string{"1\tMail servers", "8\tDecoding"}},
	} {
		out, _, err := execute(t, context.Background(), "", tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range append(tt.want, ":4") {
			if !strings.Contains(out, want) {
				t.Errorf("%v: completions %q lack %q", tt.args[1:], out, want)
			}
		}
	}
}

func TestSandboxBadAccountsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "class.csv")
	os.WriteFile(file, []byte("account,domain,password\nzhangsan,sohu.com,x1\nli si,sina.com,x\n"), 0o644)
	_, _, err := execute(t, context.Background(), "", "sandbox", "--accounts", file, "--port-offset", strconv.Itoa(freeOffset(t)))
	if err == nil || !strings.Contains(err.Error(), "class.csv:3") {
		t.Errorf("a bad accounts file: %v", err)
	}
}

// BenchmarkPlayCommand is maillab play --format json in-process, the way
// a learner starts it, minus the process start (compare with maillab
// --help for the ratio issue 22 asks for).
func BenchmarkPlayCommand(b *testing.B) {
	for b.Loop() {
		streams, _, _ := testStreams("")
		if err := newRootCmd(streams, []string{"play", "--format", "json"}).ExecuteContext(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHelpCommand is maillab --help in-process.
func BenchmarkHelpCommand(b *testing.B) {
	for b.Loop() {
		streams, _, _ := testStreams("")
		if err := newRootCmd(streams, []string{"--help"}).ExecuteContext(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFileGBK is maillab decode --charset gbk --file on 22 MB
// of Base64 (GBK Chinese), the output escaped for a terminal, as issue
// 22 measures it against base64 -d | iconv -f GBK.
func BenchmarkDecodeFileGBK(b *testing.B) {
	text := strings.Repeat("简单的邮件发送测试！这是一封用 GBK 编码的中文邮件正文。\n", 300000)
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		b.Fatal(err)
	}
	encoded := base64.StdEncoding.EncodeToString([]byte(gbk))
	var lines strings.Builder
	for i := 0; i < len(encoded); i += 76 {
		lines.WriteString(encoded[i:min(i+76, len(encoded))] + "\n")
	}
	file := filepath.Join(b.TempDir(), "big.b64")
	if err := os.WriteFile(file, []byte(lines.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(lines.Len()))
	for b.Loop() {
		streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
		if err := newRootCmd(streams, []string{"decode", "--charset", "gbk", "--file", file}).ExecuteContext(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
