package trace_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// TestSummaryGolden: a class's terminal sums a recorded play run up in one
// line: the journey, stored (in English and in Chinese).
func TestSummaryGolden(t *testing.T) {
	for _, tt := range []struct {
		golden string
		lang   *i18n.Printer
	}{{"summary.golden", nil}, {"summary.zh.golden", i18n.New(i18n.Chinese)}} {
		var out bytes.Buffer
		s := trace.NewSummary(&out, trace.RenderOptions{Lang: tt.lang})
		for _, e := range recordedEvents(t) {
			s.Render(e)
		}
		checkGolden(t, tt.golden, out.Bytes())
		if n := strings.Count(out.String(), "\n"); n != 1 {
			t.Errorf("a play run summed up in %d lines, want 1:\n%s", n, out.String())
		}
	}
}

// TestSummaryLines: which events get a line, and what it says; a secret
// command is never repeated, client text is escaped.
func TestSummaryLines(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	reply := func(status, line, answers, verb string) trace.Event {
		return trace.Event{Time: now, Proto: trace.SMTP, Kind: trace.Reply, Dir: trace.FromServer, Session: "#7", From: "smtp.sohu.com",
			To: "127.0.0.9:5000", Status: status, Line: line, Answers: answers, Verb: verb, Final: true}
	}
	refused := reply("550", "550 5.7.1 relaying denied", "RCPT TO:<x@example.org>", "RCPT")
	refused.Account = "s07@sohu.com"
	secret := reply("535", "535 5.7.8 authentication credentials invalid", "", "AUTH")
	secret.Claimed, secret.Login = "s02", proto.LoginFailed
	injected := reply("550", "550 5.1.1 <\x1b[31mx>: no such user", "RCPT TO:<\u202ex>", "RCPT")
	deferred := trace.Event{Time: now, Kind: trace.Internal, Action: trace.Deferred, Message: "ABCDEF000012", Facts: &trace.Facts{Reason: "450 4.2.0 mailbox busy", Domain: "sina.com"}}
	verdict := func(findings ...trace.Finding) trace.Event {
		return trace.Event{Time: now, Proto: trace.SMTP, Kind: trace.Internal, Action: trace.Verdict, Dir: trace.FromClient, Session: "#9",
			From: "127.0.0.9:5001", FromRole: trace.RoleClient, Account: "s03@sohu.com", Facts: &trace.Facts{Findings: findings}}
	}
	noQuit := trace.Finding{Rule: trace.NoQuit, Severity: trace.Problem, RFC: "RFC 5321 4.1.1.10", Count: 1}
	bareLF := trace.Finding{Rule: trace.BareLF, Severity: trace.Caution, RFC: "RFC 5321 2.3.8", Count: 3}
	tests := []struct {
		name string
		e    trace.Event
		want string // "" for no line
	}{
		{"a clean verdict", verdict(), ""},
		{"a verdict", verdict(noQuit, bareLF), "? #9 s03@sohu.com: verdict on this client: problem: the connection dropped without QUIT (1 time, RFC 5321 4.1.1.10); caution: lines ended by a bare LF, not CRLF (3 times, RFC 5321 2.3.8)\n"},
		{"a success", reply("250", "250 2.1.5 OK", "RCPT TO:<s01@sina.com>", "RCPT"), ""},
		{"a continuation line", trace.Event{Kind: trace.Reply, Status: "550", Line: "550-more"}, ""},
		{"a refusal", refused, "! #7 s07@sohu.com: RCPT TO:<x@example.org> → 550 5.7.1 relaying denied\n"},
		{"a refused login, claimed", secret, "! #7 the client at 127.0.0.9:5000 (claimed s02): AUTH … → 535 5.7.8 authentication credentials invalid\n"},
		{"client text, escaped", injected, `! #7 the client at 127.0.0.9:5000: RCPT TO:<\u202ex> → 550 5.1.1 <\x1b[31mx>: no such user` + "\n"},
		{"a deferral", deferred, "✉18 ? → sina.com ①② deferred (it is retried): 450 4.2.0 mailbox busy (0s)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			trace.NewSummary(&out, trace.RenderOptions{}).Render(tt.e)
			if out.String() != tt.want {
				t.Errorf("got  %q\nwant %q", out.String(), tt.want)
			}
		})
	}
}
