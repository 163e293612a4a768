package trace

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// renderOne annotates e and renders it as text, returning the note and
// the output.
func renderOne(t *testing.T, e Event) (string, string) {
	t.Helper()
	NewAnnotator().Annotate(&e)
	var out bytes.Buffer
	r, _ := NewRenderer(&out, "text", RenderOptions{})
	if err := r.Render(e); err != nil {
		t.Fatal(err)
	}
	return e.Note, out.String()
}

// TestEveryReplyIsExplained renders every reply of the servers' catalogue,
// identified as the Tap identifies it: a reply without a note of its own
// (one that falls back to its code or class) fails.
func TestEveryReplyIsExplained(t *testing.T) {
	for _, r := range smtp.All {
		line := r.Line(proto.SampleArgs(r.Text)...)
		e := Event{Proto: SMTP, Kind: Reply, Dir: FromServer, From: "srv", To: "cli", Line: line, Reply: smtp.Identify(line)}
		note, out := renderOne(t, e)
		if _, keyed := smtpReplyNotes[r.Key]; !keyed || note == "" || !strings.Contains(out, note) {
			t.Errorf("%s (%q): note %q", r.Key, line, note)
		}
	}
	for _, r := range pop3.All {
		line := r.Line(proto.SampleArgs(r.Text)...)
		e := Event{Proto: POP3, Kind: Reply, Dir: FromServer, From: "srv", To: "cli", Line: line, Answers: r.Example, Reply: pop3.Identify(line, r.Example)}
		note, out := renderOne(t, e)
		if _, keyed := pop3ReplyNotes[r.Key]; !keyed || note == "" || !strings.Contains(out, note) {
			t.Errorf("%s (%q): note %q", r.Key, line, note)
		}
	}
}

// TestNotesFollowKeysNotWording: a reply reworded (or translated) keeps
// its note, because the note is found by the reply's key.
func TestNotesFollowKeysNotWording(t *testing.T) {
	e := Event{Proto: SMTP, Kind: Reply, Dir: FromServer, Line: "250 2.0.0 Nachricht angenommen, Nummer 4711", Reply: smtp.Queued.Key}
	NewAnnotator().Annotate(&e)
	if e.Note != smtpReplyNotes[smtp.Queued.Key] {
		t.Errorf("note %q", e.Note)
	}
}

// TestEveryActionIsExplained renders every action with facts: each has a
// sentence of its own and a note.
func TestEveryActionIsExplained(t *testing.T) {
	f := &Facts{QueueID: "Q1", Mailbox: "bbb@sina.com", StoreID: "m1", Number: 1, Domain: "sina.com", Peer: "smtp.sina.com",
		Addr: "127.0.0.1:2526", Size: 519, Count: 2, Total: 2, Attempt: 1, Reason: "550 5.1.1 no", Recipients: []string{"x@sina.com"}, Viewer: "the wiretap"}
	for _, a := range Actions {
		e := Event{Kind: Internal, Action: a, From: "smtp.sohu.com", Facts: f}
		note, out := renderOne(t, e)
		sentence := DescribeIn(nil, e)
		if note == "" || sentence == string(a) || sentence == "" {
			t.Errorf("%s: sentence %q, note %q", a, sentence, note)
		}
		if a != Closed && !strings.Contains(out, sentence) {
			t.Errorf("%s is not rendered: %q", a, out)
		}
	}
}

func TestSMTPReplyNoteForeign(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"599 9.9.9 odd", "permanent failure"},
		{"hello", "not a valid SMTP reply"},
		{"530 5.7.0 Must issue a STARTTLS command first", "log in (or start TLS) first"},
	} {
		e := Event{Proto: SMTP, Kind: Reply, Dir: FromServer, Line: tt.line}
		NewAnnotator().Annotate(&e)
		if !strings.Contains(e.Note, tt.want) {
			t.Errorf("%q: note %q, want %q", tt.line, e.Note, tt.want)
		}
	}
}

func ExampleDescribeIn() {
	e := Event{Kind: Internal, Action: Stored, Facts: &Facts{QueueID: "Q1", Mailbox: "bbb@sina.com", StoreID: "m1", Size: 519}}
	fmt.Println(DescribeIn(nil, e))
	// Output: stored Q1 in bbb@sina.com's mailbox as message m1 (519 octets)
}
