package play

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"maillab/trace"
)

// runPlay runs a journey and returns its result and Events.
func runPlay(t testing.TB, opts Options) (*Result, []trace.Event) {
	t.Helper()
	var mu sync.Mutex
	var events []trace.Event
	opts.Sink = func(e trace.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, events
}

func steps(events []trace.Event) map[int]int {
	m := map[int]int{}
	for _, e := range events {
		m[trace.StepOf(e)]++
	}
	return m
}

func transcript(events []trace.Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(trace.DescribeIn(nil, e) + "\n")
	}
	return b.String()
}

func TestPlayCoversSixSteps(t *testing.T) {
	res, events := runPlay(t, Options{Subject: "lesson one", Body: "the body travels"})
	if !res.Delivered || res.Hops != 2 || res.Octets == 0 {
		t.Fatalf("result = %+v", res)
	}
	got := steps(events)
	for step := 1; step <= 6; step++ {
		if got[step] == 0 {
			t.Errorf("no event for step %d (steps seen: %v)", step, got)
		}
	}
	text := transcript(events)
	for _, want := range []string{"AUTH LOGIN", "Z2FjbA==", "Subject: lesson one", "the body travels", "RETR 1", "MX look-up: sina.com"} {
		if strings.Count(text, want) == 0 {
			t.Errorf("transcript lacks %q", want)
		}
	}
	// the subject crosses three sockets: submission, relay, retrieval
	if n := strings.Count(text, "Subject: lesson one"); n != 3 {
		t.Errorf("subject seen %d times, want 3 (submit, relay, RETR)", n)
	}
	if !strings.Contains(string(res.Retrieved), "\r\n\r\nthe body travels\r\n") {
		t.Errorf("retrieved message:\n%s", res.Retrieved)
	}
}

// TestPlayStepsInOrder: step 1's lines all come before step 2's, and
// steps 4 to 6 come in order after the relay. A connection's "closed"
// is for consumers that forget sessions, never shown to people: the
// relay's may come after step 4 began.
func TestPlayStepsInOrder(t *testing.T) {
	_, events := runPlay(t, Options{})
	last := 0
	for _, e := range events {
		if e.Action == trace.Closed {
			continue
		}
		step := trace.StepOf(e)
		if step < last && !(step == 2 && last == 3) {
			t.Fatalf("step %d after step %d: %q", step, last, trace.DescribeIn(nil, e))
		}
		last = max(last, step)
	}
}

func TestPlayVariants(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		delivered bool
		bounced   bool
		refused   string
		noStep2   bool
		diagram   []string // what the drawing of the path shows
	}{
		{"sohu to sohu stays local", Options{To: "aaa@sohu.com"}, true, false, "", true,
			[]string{"smtp.sohu.com ─③─▶ [aaa's mailbox]", "pop3.sohu.com"}},
		{"sina to sohu", Options{From: "bbb@sina.com", To: "gacl@sohu.com"}, true, false, "", false,
			[]string{"smtp.sina.com ─②─▶ smtp.sohu.com ─③─▶ [gacl's mailbox]", "pop3.sohu.com"}},
		{"unknown local user is refused", Options{To: "nobody@sohu.com"}, false, false, "550 5.1.1", true,
			[]string{"smtp.sohu.com  ✗ refused (550 5.1.1)"}},
		{"outside the world is refused", Options{To: "someone@example.org"}, false, false, "550 5.7.1", true,
			[]string{"smtp.sohu.com  ✗ refused (550 5.7.1)"}},
		{"unknown remote user bounces", Options{To: "nobody@sina.com"}, false, true, "", false,
			[]string{"smtp.sina.com  ✗ refused (550 5.1.1)", "smtp.sohu.com ─③─▶ [gacl's mailbox]", "pop3.sohu.com"}},
		{"non-ASCII subject and body are delivered", Options{Subject: "邮件测试", Body: "简单的邮件发送测试！"}, true, false, "", false,
			[]string{"─②─▶ smtp.sina.com ─③─▶ [bbb's mailbox]", "pop3.sina.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, events := runPlay(t, tt.opts)
			if res.Delivered != tt.delivered || res.Bounced != tt.bounced || !strings.HasPrefix(res.Refused, tt.refused) || (tt.refused == "") != (res.Refused == "") {
				t.Fatalf("result = %+v", res)
			}
			if tt.noStep2 && steps(events)[2] > 0 {
				t.Errorf("no relay expected, but step 2 has events")
			}
			if tt.bounced && !strings.Contains(string(res.Retrieved), "report-type=delivery-status") {
				t.Errorf("the bounce retrieved is not a delivery report:\n%s", res.Retrieved)
			}
			drawn := DiagramIn(nil, tt.opts, res)
			for _, want := range tt.diagram {
				if !strings.Contains(drawn, want) {
					t.Errorf("the diagram lacks %q:\n%s", want, drawn)
				}
			}
			if tt.refused != "" && strings.Contains(drawn, "pop3") {
				t.Errorf("a refused message's diagram shows a fetch:\n%s", drawn)
			}
		})
	}
}

// TestNonASCIIBodyTravelsAsBase64: a Chinese subject goes as an RFC 2047
// word and a Chinese body as Base64 (Content-Transfer-Encoding: base64):
// every byte on the wire of the submission is ASCII, and the body
// retrieved decodes to the very text sent.
func TestNonASCIIBodyTravelsAsBase64(t *testing.T) {
	const subject, body = "邮件测试", "简单的邮件发送测试！"
	res, events := runPlay(t, Options{Subject: subject, Body: body})
	var wire []string
	for _, e := range events {
		if e.Kind == trace.Data && e.Dir == trace.FromClient && e.Hop == trace.Submission {
			wire = append(wire, e.Line)
		}
	}
	joined := strings.Join(wire, "\n")
	for _, want := range []string{"Content-Transfer-Encoding: base64", "Subject: =?UTF-8?B?"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the submission's message lacks %q:\n%s", want, joined)
		}
	}
	for _, l := range wire {
		for i := 0; i < len(l); i++ {
			if l[i] >= 0x80 {
				t.Fatalf("an 8-bit byte on the wire: %q", l)
			}
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(res.Retrieved))
	if err != nil {
		t.Fatalf("retrieved message: %v", err)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); !strings.EqualFold(cte, "base64") {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	if got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); got != subject {
		t.Errorf("subject decodes to %q", got)
	}
	decoded, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
	if err != nil || strings.TrimRight(string(decoded), "\r\n") != body {
		t.Errorf("body decodes to %q (%v)", decoded, err)
	}
}

func TestPlayBadOptions(t *testing.T) {
	for _, opts := range []Options{{From: "nobody@sohu.com"}, {From: "not-an-address"}, {To: "@"}} {
		if _, err := Run(context.Background(), opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

// BenchmarkPlay runs the whole six-step journey in-process: sandbox start,
// submission, relay, storage, retrieval, shutdown.
func BenchmarkPlay(b *testing.B) {
	for b.Loop() {
		if _, err := Run(context.Background(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlayOverTLS: with --tls starttls and implicit, every hop is
// encrypted: the submission, the relay (STARTTLS, verified by the
// sandbox CA) and the retrieval; the lines are the plaintext, marked.
func TestPlayOverTLS(t *testing.T) {
	for _, mode := range []string{"starttls", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			res, events := runPlay(t, Options{TLS: mode})
			if !res.Delivered {
				t.Fatalf("result %+v", res)
			}
			handshakes := map[int]int{}
			plaintext := map[int]int{}
			for _, e := range events {
				step := trace.StepOf(e)
				if e.Action == trace.TLSStarted {
					handshakes[step]++
					if e.Facts.Verified != "verified" && !strings.Contains(e.Facts.Verified, "own") {
						t.Errorf("step %d: %s", step, e.Facts.Verified)
					}
				}
				if e.Kind == trace.Command && e.TLS && strings.HasPrefix(e.Line, "AUTH") {
					plaintext[step]++
				}
			}
			sixth := false // once the retrieval began, nothing goes back a step
			for _, e := range events {
				step := trace.StepOf(e)
				if sixth && e.Proto == trace.POP3 && step != 6 {
					t.Errorf("after step 6 began, %s %q is step %d", e.Action, e.Line, step)
				}
				sixth = sixth || step == 6
			}
			if handshakes[1] == 0 || handshakes[2] == 0 || handshakes[4] == 0 {
				t.Errorf("handshakes by step: %v", handshakes)
			}
			if plaintext[1] == 0 {
				t.Errorf("the login is not shown as encrypted plaintext")
			}
		})
	}
}

// TestWireCountsEveryRecord: what an eavesdropper sees of an encrypted
// exchange is never "0 records" from a side that sent a line: the first
// command after a handshake travels right behind the client's Finished,
// and is counted with its exchange, not lost with the handshake. Run
// several times: the race that lost it did not always happen.
func TestWireCountsEveryRecord(t *testing.T) {
	for _, mode := range []string{"starttls", "implicit"} {
		for run := range 4 {
			_, events := runPlay(t, Options{TLS: mode})
			for _, e := range events {
				if e.Action != trace.Wire {
					continue
				}
				if e.Facts.Count == 0 && e.Verb != "" || e.Facts.ReplyRecords == 0 {
					t.Errorf("%s, run %d, step %d: %q crossed as %d records (%d octets), answered in %d", mode, run, trace.StepOf(e), e.Answers,
						e.Facts.Count, e.Facts.Size, e.Facts.ReplyRecords)
				}
			}
		}
	}
}

// TestOneJourneyFromMailToRetr: every line of the transaction at step 1
// (MAIL to the final reply), of the relay's transaction at step 2, the
// store at step 3 and the RETR at step 6 carry one message id, which the
// session-level lines (greeting, EHLO, login, QUIT) do not.
func TestOneJourneyFromMailToRetr(t *testing.T) {
	_, events := runPlay(t, Options{})
	journey := ""
	for _, e := range events {
		if e.Verb == "MAIL" && e.Hop == trace.Submission && e.Kind == trace.Reply {
			journey = e.Message
		}
	}
	if journey == "" {
		t.Fatal("the submission's MAIL got no message id")
	}
	inTransaction := map[string]bool{"MAIL": true, "RCPT": true, "DATA": true, ".": true, "XFORWARD": false}
	count := map[int]int{}
	for _, e := range events {
		step := trace.StepOf(e)
		switch {
		case e.Proto == trace.SMTP && (inTransaction[e.Verb] || e.Kind == trace.Data):
			if e.Message != journey {
				t.Errorf("step %d %q carries message %q, want %q", step, e.Line, e.Message, journey)
			}
			count[step]++
		case e.Action == trace.Stored || e.Proto == trace.POP3 && e.Verb == "RETR":
			if e.Message != journey || e.Recipient != "bbb@sina.com" {
				t.Errorf("step %d %q: message %q recipient %q", step, trace.DescribeIn(nil, e), e.Message, e.Recipient)
			}
			count[step]++
		case e.Kind != trace.Internal && e.Message != "":
			t.Errorf("a session-level line %q carries message %q", e.Line, e.Message)
		}
	}
	for _, step := range []int{1, 2, 3, 6} {
		if count[step] == 0 {
			t.Errorf("no event of step %d carries the journey (%v)", step, count)
		}
	}
}

// TestBounceIsAJourneyOfItsOwn: a message refused at the next provider
// bounces; the report travels as its own journey, naming the first.
func TestBounceIsAJourneyOfItsOwn(t *testing.T) {
	res, events := runPlay(t, Options{To: "nobody@sina.com"})
	if !res.Bounced {
		t.Fatalf("result %+v", res)
	}
	journeys, bounceOf := map[string]bool{}, map[string]string{}
	for _, e := range events {
		if e.Message != "" {
			journeys[e.Message] = true
		}
		if e.BounceOf != "" {
			bounceOf[e.Message] = e.BounceOf
		}
	}
	if len(journeys) != 2 || len(bounceOf) != 1 {
		t.Fatalf("journeys %v, bounces %v", journeys, bounceOf)
	}
	for bounce, first := range bounceOf {
		if bounce == first || !journeys[first] {
			t.Errorf("the bounce %s names %s", bounce, first)
		}
	}
	for _, e := range events {
		if e.Action == trace.Bounced && bounceOf[e.Message] != "" {
			t.Errorf("the Bounced action belongs to the first journey, not the report's: %+v", e)
		}
	}
}
