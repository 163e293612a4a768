package trace_test

import (
	"fmt"
	"strings"
	"testing"

	"maillab/sandbox"
	"maillab/trace"
)

// fill renders a reply text with placeholder arguments for its verbs.
func fill(format string) string {
	return fmt.Sprintf(format, placeholders(format)...)
}

// TestEverySMTPReplyHasANote: a reply the server can send without a
// specific note in the annotator fails here.
func TestEverySMTPReplyHasANote(t *testing.T) {
	for _, r := range sandbox.SMTPReplies {
		line := fmt.Sprintf("%d %s", r.Code, fill(r.Text))
		if r.Enhanced != "" {
			line = fmt.Sprintf("%d %s %s", r.Code, r.Enhanced, fill(r.Text))
		}
		note, known := trace.SMTPReplyNote(line)
		if !known || note == "" {
			t.Errorf("no note for %q (got %q)", line, note)
		}
	}
}

// TestEveryPOP3ReplyHasANote does the same for POP3 status lines, each
// annotated as the answer to the command it answers (the greeting as the
// first line of a session); a generic note fails.
func TestEveryPOP3ReplyHasANote(t *testing.T) {
	generic := map[string]bool{"success": true, "the command failed: the text says why": true}
	for _, r := range sandbox.POP3Replies {
		line := r.Line(placeholders(r.Text)...)
		ann := trace.NewAnnotator()
		events := []trace.Event{{Proto: "POP3", Kind: trace.Reply, From: "srv", To: "cli", Line: "+OK ready"}}
		if r.Answers == "" && r.OK {
			events = events[:0] // the greeting itself
		}
		if r.Answers != "" {
			events = append(events, trace.Event{Proto: "POP3", Kind: trace.Command, From: "cli", To: "srv", Line: r.Answers})
		}
		for i := range events {
			ann.Annotate(&events[i])
		}
		e := trace.Event{Proto: "POP3", Kind: trace.Reply, From: "srv", To: "cli", Line: line}
		ann.Annotate(&e)
		if e.Note == "" || generic[e.Note] {
			t.Errorf("no specific note for %q answering %q (got %q)", line, r.Answers, e.Note)
		}
	}
}

func placeholders(format string) []any {
	var args []any
	for i := 0; i < len(format)-1; i++ {
		if format[i] == '%' {
			if format[i+1] == 'd' {
				args = append(args, 1)
			} else {
				args = append(args, "x")
			}
			i++
		}
	}
	return args
}

func TestSMTPReplyNoteUnknown(t *testing.T) {
	if _, known := trace.SMTPReplyNote("599 9.9.9 odd"); known {
		t.Error("an unknown reply should be explained by its class only")
	}
	if note, _ := trace.SMTPReplyNote("hello"); !strings.Contains(note, "not a valid SMTP reply") {
		t.Errorf("garbage reply note = %q", note)
	}
}
