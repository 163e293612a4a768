package smtp

import (
	"fmt"
	"strings"
	"testing"

	"maillab/trace/proto"
)

func TestEveryReplyIsIdentified(t *testing.T) {
	seen := map[proto.Key]bool{}
	for _, r := range All {
		if seen[r.Key] {
			t.Errorf("key %s is used twice", r.Key)
		}
		seen[r.Key] = true
		for _, sep := range []string{" ", "-"} {
			line := r.Prefix(sep) + proto.Fill(r.Text, proto.SampleArgs(r.Text)...)
			if got := Identify(line); got != r.Key {
				t.Errorf("%q identified as %q, want %q", line, got, r.Key)
			}
		}
		if !Known(r.Key) {
			t.Errorf("%s is not Known", r.Key)
		}
	}
}

func TestIdentifyForeignLines(t *testing.T) {
	for _, line := range []string{"250 2.0.0 Ok: queued as 4Bx", "220 mx.example.org ESMTP Postfix", "hello", "", "25"} {
		if k := Identify(line); k != "" {
			t.Errorf("%q identified as %q", line, k)
		}
	}
}

func TestFillRemovesControls(t *testing.T) {
	got := UnknownCmd.Line("A\r\nRSET\x1b")
	if strings.ContainsAny(got, "\r\n\x1b") || got != "500 5.5.1 command not recognized: A??RSET?" {
		t.Errorf("line = %q", got)
	}
}

func BenchmarkIdentify(b *testing.B) {
	line := fmt.Sprintf("250 2.0.0 OK, message accepted, queued as %s", "5819FD4B0B6A000001")
	for b.Loop() {
		if Identify(line) != Queued.Key {
			b.Fatal("not identified")
		}
	}
}
