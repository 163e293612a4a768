package pop3

import (
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
		line := r.Line(proto.SampleArgs(r.Text)...)
		if got := Identify(line, r.Example); got != r.Key {
			t.Errorf("%q answering %q identified as %q, want %q", line, r.Example, got, r.Key)
		}
	}
}

func TestIdentifyForeignLines(t *testing.T) {
	if k := Identify("+OK Dovecot ready.", ""); k != "" {
		t.Errorf("Dovecot's greeting identified as %q", k)
	}
	if k := Identify("hello", "STAT"); k != "" {
		t.Errorf("not a status line, identified as %q", k)
	}
}
