package trace

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Summary renders a class's events for the teacher's terminal: one line
// per message journey (when it is stored, bounced or refused), one per
// error (a refusal, a deferral, a failed login) and one per verdict that
// found something, the details being on the page. Client text is shown escaped, as everywhere.
type Summary struct {
	mu       sync.Mutex
	w        io.Writer
	p        *i18n.Printer
	pal      palette
	messages map[string]*summarized
	order    []string
}

// summarized is what a summary keeps of a message until its journey ends.
type summarized struct {
	from, subject, account string
	to                     []string
	start                  time.Time
	step                   int
}

// maxSummarized is how many messages a summary follows at once.
const maxSummarized = 4096

// NewSummary writes a summary of events to w.
func NewSummary(w io.Writer, opts RenderOptions) *Summary {
	return &Summary{w: w, p: i18n.Or(opts.Lang), pal: newPalette(opts.Color), messages: map[string]*summarized{}}
}

// Render takes one event, writing a line when a journey ends or
// something went wrong.
func (s *Summary) Render(e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Message != "" {
		s.follow(e)
	}
	line, bad := s.lineFor(e)
	if line == "" {
		return nil
	}
	c := s.pal.server2
	if bad {
		c = s.pal.server5
	}
	_, err := io.WriteString(s.w, c.Sprint(Visible(line))+"\n")
	return err
}

// Close forgets what it follows.
func (s *Summary) Close() error { return nil }

// follow notes what an event says of its message.
func (s *Summary) follow(e Event) {
	m := s.messages[e.Message]
	if m == nil {
		if len(s.order) >= maxSummarized {
			delete(s.messages, s.order[0])
			s.order = s.order[1:]
		}
		m = &summarized{start: e.Time}
		s.messages[e.Message] = m
		s.order = append(s.order, e.Message)
	}
	if e.Sender != "" {
		m.from = e.Sender
	}
	if e.Recipient != "" && StepOf(e) == 1 && !contains(m.to, e.Recipient) {
		m.to = append(m.to, e.Recipient)
	}
	if e.Account != "" && m.account == "" && e.Hop == Submission {
		m.account = e.Account
	}
	if c := e.Content; e.Kind == Data && c != nil && c.Header && !c.Folded && c.Field == "subject" && m.subject == "" {
		_, value, _ := strings.Cut(e.Line, ":")
		if text, err := decode.Header(strings.TrimSpace(value)); err == nil {
			m.subject = strings.TrimSpace(text)
		}
	}
	m.step = max(m.step, StepOf(e))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lineFor is the line an event deserves ("" for none), and whether it
// tells of something that went wrong.
func (s *Summary) lineFor(e Event) (string, bool) {
	p := s.p
	switch e.Action {
	case Stored:
		return s.journey(e, p.Trf("stored in %s's mailbox", facts(e).Mailbox)), false
	case Bounced:
		return s.journey(e, p.Trf("bounced: %s", facts(e).ReasonIn(p))), true
	case Deferred:
		return s.journey(e, p.Trf("deferred (it is retried): %s", facts(e).ReasonIn(p))), true
	case Refused:
		return s.journey(e, p.Trf("refused: %s", facts(e).ReasonIn(p))), true
	case AcceptFailing, QueueError, Dropped:
		return "! " + DescribeIn(p, e), true
	case Verdict:
		f := facts(e)
		if len(f.Findings) == 0 {
			return "", false
		}
		return "? " + s.who(e) + ": " + DescribeIn(p, e), Problems(f.Findings) > 0
	}
	if e.Kind != Reply || !e.Final && e.Proto != POP3 || !proto.Refused(e.Status) {
		return "", false
	}
	return "! " + s.who(e) + ": " + s.asked(e) + e.Line, true
}

// journey is a message's line: its short id, envelope, subject, how far
// it got and how long it took, and what happened.
func (s *Summary) journey(e Event, what string) string {
	m := s.messages[e.Message]
	if m == nil {
		m = &summarized{start: e.Time}
	}
	from := m.from
	if from == "" {
		from = "?"
	}
	if e.BounceOf != "" {
		from = s.p.Trf("a bounce of %s", ShortID(e.BounceOf))
	}
	to := strings.Join(m.to, ", ")
	if to == "" {
		to = facts(e).Mailbox
	}
	if to == "" {
		to = facts(e).Domain
	}
	subject := ""
	if m.subject != "" {
		subject = fmt.Sprintf(" %q", m.subject)
	}
	steps := ""
	for i := 1; i <= max(m.step, StepOf(e)); i++ {
		steps += StepMark(i)
	}
	took := e.Time.Sub(m.start).Round(time.Millisecond)
	return fmt.Sprintf("%s %s → %s%s %s %s (%s)", ShortID(e.Message), from, to, subject, steps, what, took)
}

// who names the session an error happened in: its id and account, or the
// name it only claimed, or its client's address.
func (s *Summary) who(e Event) string {
	switch {
	case e.Account != "":
		return e.Session + " " + e.Account
	case e.Claimed != "":
		return e.Session + " " + s.p.Trf("the client at %s", e.Client()) + " " + s.p.Trf("(claimed %s)", e.Claimed)
	}
	return e.Session + " " + s.p.Trf("the client at %s", e.Client())
}

// asked is the command a refusal answered, or its verb when the command
// is a secret.
func (s *Summary) asked(e Event) string {
	switch {
	case e.Answers != "":
		return e.Answers + " → "
	case e.Verb != "":
		return e.Verb + " … → "
	}
	return ""
}

// ShortID is how people name a message: ✉ and the sandbox's counter, the
// last six hex digits of its queue id ("…00000C" is ✉12).
func ShortID(id string) string {
	if len(id) >= 6 {
		if n, err := strconv.ParseUint(id[len(id)-6:], 16, 32); err == nil {
			return "✉" + strconv.FormatUint(n, 10)
		}
	}
	return "✉" + id
}
