package practice

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/sandbox/sandboxtest"
	"maillab/sandbox/sandboxtest/live"
	"maillab/trace/proto"
)

// addr is where a domain's server for proto listens.
func addr(sb *sandbox.Sandbox, domain, name string) string {
	a, _ := sb.Addr(domain, proto.Name(strings.ToUpper(name)))
	return a
}

// script runs lines in script mode against addr and returns the output.
func script(t *testing.T, proto, addr string, lines ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Options{
		Proto: proto, Addr: addr,
		In: strings.NewReader(strings.Join(lines, "\n") + "\n"), Out: &out, ErrOut: &errOut,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	return out.String() + errOut.String()
}

func TestSeedSMTPSession(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	out := script(t, "smtp", addr(sb, "sohu.com", "SMTP"),
		"EHLO gacl", "AUTH LOGIN", "Z2FjbA==", "MTIzNDU2",
		"MAIL FROM:<gacl@sohu.com>", "RCPT TO:<bbb@sina.com>", "DATA",
		"From: <gacl@sohu.com>", "To: <bbb@sina.com>", "Subject: hello", "", "hello gacl", ".", "QUIT")
	for _, want := range []string{"# Base64 of 'gacl'", "235 2.7.0", "354 ", "# header Subject", "250 2.0.0 OK, message accepted", "221 2.0.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
}

func TestSeedPOP3Session(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	sb.Store().Deliver(sandbox.Address{Local: "bbb", Domain: "sina.com"}, []byte("Subject: hi\r\n\r\n.dot\r\nbody\r\n"), sandbox.Meta{})
	out := script(t, "pop3", addr(sb, "sina.com", "POP3"), "USER bbb", "PASS 123456", "STAT", "LIST", "RETR 1", "UIDL", "QUIT")
	for _, want := range []string{"+OK 1 ", "# 1 message, ", "# message 1: ", "S: ..dot", "S: body", "# goodbye"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
}

// TestMistakesAreExplained: each common mistake gets the real error reply,
// its reason, and a hint for what to do now.
func TestMistakesAreExplained(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	sohuSMTP, sinaPOP3 := addr(sb, "sohu.com", "SMTP"), addr(sb, "sina.com", "POP3")
	tests := []struct {
		name, proto, addr string
		lines             []string
		want              []string
	}{
		{"rcpt before mail", "smtp", sohuSMTP, []string{"EHLO me", "RCPT TO:<bbb@sina.com>"},
			[]string{"503 5.5.1", "give the sender with MAIL FROM", "hint:"}},
		{"mail before ehlo", "smtp", sohuSMTP, []string{"MAIL FROM:<gacl@sohu.com>"},
			[]string{"503 5.5.1", "say EHLO", "hint: say hello first"}},
		{"relay without auth", "smtp", sohuSMTP, []string{"EHLO me", "MAIL FROM:<gacl@sohu.com>", "RCPT TO:<bbb@sina.com>"},
			[]string{"550 5.7.1", "log in with AUTH LOGIN first", "hint: that recipient lives at another provider", "RSET ends the transaction"}},
		{"lower-cased base64", "smtp", sohuSMTP, []string{"EHLO me", "AUTH LOGIN", "z2fjba==", "MTIzNDU2"},
			[]string{"not text (was its letter case changed?)", "535 5.7.8", "letter case matters"}},
		{"plain text password", "smtp", sohuSMTP, []string{"EHLO me", "AUTH LOGIN", "gacl"},
			[]string{"334 UGFzc3dvcmQ6"}},
		{"unknown command", "smtp", sohuSMTP, []string{"HELLO"},
			[]string{"500 5.5.1", "not an SMTP command", "hint:"}},
		{"helo then a hint", "smtp", sohuSMTP, []string{"HELO me", ":hint"},
			[]string{"you said HELO", "e.g. EHLO me"}},
		{"three failed logins close the connection", "smtp", sohuSMTP, []string{"EHLO me", "AUTH PLAIN AGdhY2wAMQ==", "AUTH PLAIN AGdhY2wAMQ==", "AUTH PLAIN AGdhY2wAMQ==", ":state"},
			[]string{"421 4.7.0", "hint: the connection is closed"}},
		{"helpers inside DATA", "smtp", sohuSMTP, []string{"EHLO me", "MAIL FROM:<a@b.c>", "RCPT TO:<aaa@sohu.com>", "DATA", ":hint", "::colon line", ".", ":state"},
			[]string{"type header lines", "C: :colon line", "1 message sent"}},
		{"pop3 pass first", "pop3", sinaPOP3, []string{"PASS 123456"},
			[]string{"-ERR send USER first", "USER name comes before PASS", "hint: log in: the user name first"}},
		{"pop3 wrong password", "pop3", sinaPOP3, []string{"USER bbb", "PASS 654321"},
			[]string{"-ERR [AUTH]", "login failed", "hint:"}},
		{"pop3 no such message", "pop3", sinaPOP3, []string{"USER bbb", "PASS 123456", "RETR 9"},
			[]string{"-ERR no such message", "STAT or LIST shows", "hint: look into the mailbox"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := script(t, tt.proto, tt.addr, tt.lines...)
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "C: :hint") {
				t.Errorf("a helper was sent to the server:\n%s", out)
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	sohuSMTP := addr(sb, "sohu.com", "SMTP")
	out := script(t, "smtp", sohuSMTP, ":help", ":b64 gacl", ":unb64 MTIzNDU2", ":decode =?GBK?B?08q8/rLiytQ=?=", ":state", ":hint", ":nope", "EHLO me", ":state", ":quit", "NOOP")
	for _, want := range []string{":hint", "Z2FjbA==", "123456", "邮件测试", "SMTP, greeted", "EHLO me", "unknown helper :nope", "SMTP, ready"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "C: NOOP") {
		t.Error(":quit should end the session before NOOP")
	}
	if strings.Contains(out, "C: :") {
		t.Error("a helper line was sent to the server")
	}
}

// TestHintForEveryState: :hint has an answer, with an example, in every
// state of both protocols.
func TestHintForEveryState(t *testing.T) {
	for proto, states := range map[string][]string{"SMTP": client.SMTPStates, "POP3": client.POP3States} {
		for _, st := range states {
			h, ok := HintFor(proto, st)
			if !ok || h.Text == "" || h.Example == "" {
				t.Errorf("%s state %q has no hint", proto, st)
			}
		}
	}
}

// TestHintsUseTheLearnersAccount: with a class account, hints and
// examples name it, and its Base64, not the demo accounts'.
func TestHintsUseTheLearnersAccount(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Options{
		Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP"), Account: Account{User: "s07", Password: "404242"},
		In: strings.NewReader("EHLO me\nAUTH LOGIN\n:hint\n"), Out: &out, ErrOut: &errOut,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "e.g. czA3") || strings.Contains(out.String(), "Z2FjbA==") || !strings.Contains(out.String(), ":b64 s07") {
		t.Errorf("the hint is not in the learner's terms:\n%s", out.String())
	}
}

// TestLinesStopEndsTheReader: a lesson that stops reading (the learner
// left) lets the reading goroutine go, though more input waits.
func TestLinesStopEndsTheReader(t *testing.T) {
	l := NewLines(strings.NewReader("one\ntwo\nthree\n"))
	if got, err := l.Next(context.Background()); got != "one" || err != nil {
		t.Fatalf("first line %q, %v", got, err)
	}
	l.Stop()
	l.Stop() // twice is fine
	sandboxtest.Receive(t, l.done, 5*time.Second, "the reader to end after Stop")
}

// TestForgottenFinalDot: a learner who leaves while writing a message (no
// line with only '.') is told that nothing was sent, and practice fails;
// the QUIT typed inside the message is explained as a line of it.
func TestForgottenFinalDot(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	var out, errOut bytes.Buffer
	err := Run(context.Background(), Options{Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP"), Out: &out, ErrOut: &errOut,
		In: strings.NewReader("EHLO me\nMAIL FROM:<x@example.org>\nRCPT TO:<aaa@sohu.com>\nDATA\nSubject: hi\n\nhi\nQUIT\n")})
	if !errors.Is(err, errUnfinished) {
		t.Errorf("leaving inside DATA: %v, want %v", err, errUnfinished)
	}
	if !strings.Contains(out.String(), "looks like the command QUIT") {
		t.Errorf("the QUIT inside the message is not explained:\n%s", out.String())
	}
}

// TestHintFitsTheReply: a refusal's hint is about that refusal: EXPN's
// 502 points at HELP, not at logging in.
func TestHintFitsTheReply(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	out := script(t, "smtp", addr(sb, "sohu.com", "SMTP"), "EHLO me", "EXPN staff", "FROB")
	if !strings.Contains(out, "does not offer that command") || !strings.Contains(out, "no SMTP command") || strings.Contains(out, "log in to send to other providers") {
		t.Errorf("the hints after 502 and 500:\n%s", out)
	}
}
