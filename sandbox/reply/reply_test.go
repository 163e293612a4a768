package reply

import (
	"fmt"
	"strings"
	"testing"
)

func TestEverySMTPReplyIsIdentified(t *testing.T) {
	seen := map[Key]bool{}
	for _, r := range AllSMTP {
		if seen[r.Key] {
			t.Errorf("key %s is used twice", r.Key)
		}
		seen[r.Key] = true
		for _, sep := range []string{" ", "-"} {
			line := r.Prefix(sep) + Fill(r.Text, SampleArgs(r.Text)...)
			if got := IdentifySMTP(line); got != r.Key {
				t.Errorf("%q identified as %q, want %q", line, got, r.Key)
			}
		}
	}
}

func TestEveryPOP3ReplyIsIdentified(t *testing.T) {
	seen := map[Key]bool{}
	for _, r := range AllPOP3 {
		if seen[r.Key] {
			t.Errorf("key %s is used twice", r.Key)
		}
		seen[r.Key] = true
		line := r.Line(SampleArgs(r.Text)...)
		if got := IdentifyPOP3(line, r.Example); got != r.Key {
			t.Errorf("%q answering %q identified as %q, want %q", line, r.Example, got, r.Key)
		}
	}
}

func TestIdentifyForeignLines(t *testing.T) {
	for _, line := range []string{"250 2.0.0 Ok: queued as 4Bx", "220 mx.example.org ESMTP Postfix", "hello", "", "25"} {
		if k := IdentifySMTP(line); k != "" {
			t.Errorf("%q identified as %q", line, k)
		}
	}
	if k := IdentifyPOP3("+OK Dovecot ready.", ""); k != "" {
		t.Errorf("Dovecot's greeting identified as %q", k)
	}
}

func TestFillRemovesControls(t *testing.T) {
	got := SMTPUnknownCmd.Line("A\r\nRSET\x1b")
	if strings.ContainsAny(got, "\r\n\x1b") || got != "500 5.5.1 command not recognized: A??RSET?" {
		t.Errorf("line = %q", got)
	}
}

func BenchmarkIdentifySMTP(b *testing.B) {
	line := fmt.Sprintf("250 2.0.0 OK, message accepted, queued as %s", "5819FD4B0B6A000001")
	for b.Loop() {
		if IdentifySMTP(line) != SMTPQueued.Key {
			b.Fatal("not identified")
		}
	}
}
