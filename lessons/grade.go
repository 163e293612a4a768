package lessons

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/class"
	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/proto"
)

// Grader grades the lessons' exercises on a class sandbox from what its
// servers saw, never from what a student's program says. A session counts
// for the student it logged in as (a name only claimed counts for
// nobody); each check is evaluated against the session's commands and the
// server's answers, as the lesson runner evaluates it against the
// learner's client, and a delivered check against the messages the
// student's sessions sent that the sandbox stored. Decoding leaves nothing
// for a server to see: those exercises are self-checked, listed apart.
//
// A pass is recorded for every exercise a session meets in full. A
// session that meets less and got an error answer is a failed try of one
// exercise only: the first one at its server the student has not passed
// yet, in lesson order (a server cannot know which exercise a student has
// in mind, and lessons are taken in order).
//
// A Grader is fed every event of the sandbox, in order (class.Room does),
// and is safe for concurrent use.
type Grader struct {
	world     *sandbox.World
	exercises []graded
	book      *class.Book
	mu        sync.Mutex
	sessions  *class.Recent[*gradedSession] // open sessions, by id (the oldest forgotten first)
	sent      map[string]*sentMessage       // messages students' sessions sent, by journey
	sentOrder []string
}

// graded is an exercise as the grader sees it.
type graded struct {
	class.Exercise
	host     string // the server it is done at, e.g. "pop3.sina.com"
	implicit bool   // on the SMTPS or POP3S port: TLS from the first byte
	checks   []Check
}

// gradedSession is what the grader keeps of one open session.
type gradedSession struct {
	server   string
	implicit bool           // TLS from its first byte (the SMTPS or POP3S port)
	student  string         // who it logged in as, once it has
	early    []exchangeSeen // answers before the login, to evaluate once the student is known
	loggedIn bool           // logged in now (TLS starting forgets it)
	tls      bool
	sent     int
	erred    bool
	clean    bool           // its verdict found no problem (the session has ended)
	met      map[int]uint64 // exercise index -> the checks met so far, one bit each
}

// exchangeSeen is a command and the final line of its answer.
type exchangeSeen struct {
	verb, command, status string
	reply                 proto.Key
	when                  time.Time
}

// sentMessage is a message a student's session sent.
type sentMessage struct {
	student string
	server  string // the server it was submitted to
	subject string
}

// Limits on what the grader keeps, so a flood cannot grow it.
const (
	maxGradedSessions = 8192
	maxEarly          = 64
	maxSentKept       = 20000
)

// NewGrader grades the exercises of lessons on a world's accounts, with a
// grade book of its own.
func NewGrader(lessons []*Lesson, w *sandbox.World) *Grader {
	g := &Grader{world: w, sessions: class.NewRecent[*gradedSession](maxGradedSessions), sent: map[string]*sentMessage{}}
	var list []class.Exercise
	for _, l := range lessons {
		n := 0
		for _, s := range l.Steps {
			if s.Kind != Exercise {
				continue
			}
			n++
			x := class.Exercise{ID: fmt.Sprintf("%d.%d", l.Number, n), Lesson: l.Number, Title: l.Title, Goal: s.Ex.Goal, Graded: s.Proto != "decode"}
			g.exercises = append(g.exercises, graded{Exercise: x, host: serverOf(s), implicit: s.Implicit, checks: s.Ex.Checks})
			list = append(list, x)
		}
	}
	g.book = class.NewBook(list)
	return g
}

// Book is the grade book the grader writes to.
func (g *Grader) Book() *class.Book { return g.book }

// at reports whether a session is one an exercise is done in: at its
// server, and on the implicit-TLS port when the exercise says so.
func (ex graded) at(s *gradedSession) bool {
	return ex.host != "" && strings.EqualFold(ex.host, s.server) && (!ex.implicit || s.implicit)
}

// serverOf is the name of the server an exercise is done at.
func serverOf(s Step) string {
	if s.Proto == "decode" {
		return ""
	}
	name := proto.Name(strings.ToUpper(s.Proto))
	domain := s.Domain
	if domain == "" {
		domain = sandbox.DefaultDomain(name)
	}
	p, ok := sandbox.DefaultWorld().Provider(domain)
	if !ok {
		return ""
	}
	return p.Host(name)
}

// Observe takes one event of the class sandbox.
func (g *Grader) Observe(e trace.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e.Action == trace.Stored {
		g.stored(e)
		return
	}
	if e.Session == "" || e.Proto == "" {
		return
	}
	s, _ := g.sessions.Get(e.Session)
	if e.Action == trace.Closed {
		if s != nil {
			g.tried(s, e)
			g.sessions.Delete(e.Session)
		}
		return
	}
	if s == nil {
		s = &gradedSession{server: e.Server(), met: map[int]uint64{}, implicit: e.Action == trace.TLSStarted}
		g.sessions.Put(e.Session, s) // a session forgotten to make room had its close dropped
	}
	g.follow(s, e)
}

// follow updates a session from one of its events and grades what it did.
func (g *Grader) follow(s *gradedSession, e trace.Event) {
	switch {
	case e.Action == trace.TLSStarted:
		s.tls, s.loggedIn = true, false // TLS starts the conversation over
	case e.Account != "" && e.Login == proto.LoginOK && e.Kind == trace.Reply && e.Final:
		s.loggedIn = true
		if student := class.StudentOf(g.world, e.Account); student != s.student {
			s.student = student
			clear(s.met)
			for _, x := range s.early {
				g.evaluate(s, x)
			}
			s.early = nil
		}
	}
	s.tls = s.tls || e.TLS
	if e.Action == trace.Verdict && e.Facts != nil {
		s.clean = trace.Problems(e.Facts.Findings) == 0
		if s.student != "" && s.clean {
			g.evaluate(s, exchangeSeen{when: e.Time})
		}
		return
	}
	g.noteSubject(s, e)
	if !class.IsAnswer(e) {
		return
	}
	x := exchangeSeen{verb: e.Verb, command: e.Answers, status: e.Status, reply: e.Reply, when: e.Time}
	if e.Ends && strings.HasPrefix(e.Status, "2") {
		s.sent++
	}
	if proto.Refused(e.Status) && e.Verb != "QUIT" {
		s.erred = true
	}
	if s.student == "" {
		if len(s.early) < maxEarly {
			s.early = append(s.early, x)
		}
		return
	}
	g.evaluate(s, x)
}

// noteSubject remembers the subject of a message a student's session sends.
func (g *Grader) noteSubject(s *gradedSession, e trace.Event) {
	if e.Message == "" || e.Hop != trace.Submission || s.student == "" {
		return
	}
	m := g.sent[e.Message]
	if m == nil {
		if len(g.sentOrder) >= maxSentKept {
			delete(g.sent, g.sentOrder[0])
			g.sentOrder = g.sentOrder[1:]
		}
		m = &sentMessage{}
		g.sent[e.Message] = m
		g.sentOrder = append(g.sentOrder, e.Message)
	}
	m.student, m.server = s.student, s.server
	if c := e.Content; e.Kind == trace.Data && c != nil && c.Header && !c.Folded && c.Field == "subject" && m.subject == "" {
		_, value, _ := strings.Cut(e.Line, ":")
		if text, err := decode.Header(strings.TrimSpace(value)); err == nil {
			m.subject = strings.TrimSpace(text)
		}
	}
}

// accountOf is what a student's checks are localized with: their own
// account in a class (s07 for gacl, aaa and bbb); the demo names as they
// are otherwise.
func accountOf(student string) practice.Account {
	if strings.Contains(student, "@") {
		return practice.Account{}
	}
	return practice.Account{User: student}
}

// evaluate grades one more answer of a student's session: every check it
// meets is kept for the session, and every exercise at the session's
// server that is now met in full is passed.
func (g *Grader) evaluate(s *gradedSession, x exchangeSeen) {
	acct := accountOf(s.student)
	for i, ex := range g.exercises {
		if !ex.at(s) {
			continue
		}
		all := uint64(1)<<len(ex.checks) - 1
		for j, c := range ex.checks {
			if exchangeMeets(c, x, acct) || c.Kind == "sent" && sentMeets(c, s.sent) {
				s.met[i] |= 1 << j
			}
		}
		now := s.met[i] | s.current(ex.checks) | g.deliveredBits(s.student, ex)
		if now == all {
			g.book.Passed(s.student, ex.ID, len(ex.checks), x.when)
		}
	}
}

// current is the checks a session meets as it stands now: logged in,
// inside TLS.
func (s *gradedSession) current(checks []Check) uint64 {
	var bits uint64
	for j, c := range checks {
		switch {
		case c.Kind == "state" && strings.EqualFold(c.Args[0], "authenticated") && s.loggedIn,
			c.Kind == "tls" && s.tls,
			c.Kind == "verdict" && s.clean:
			bits |= 1 << j
		}
	}
	return bits
}

// exchangeMeets reports whether one answer meets a check of kind ok, got
// or reply.
func exchangeMeets(c Check, x exchangeSeen, acct practice.Account) bool {
	success := strings.HasPrefix(x.status, "+OK") || strings.HasPrefix(x.status, "2") || strings.HasPrefix(x.status, "3")
	switch c.Kind {
	case "ok":
		return success && strings.EqualFold(x.verb, c.Args[0]) && (len(c.Args) < 2 || containsFold(x.command, acct.Localize(c.Args[1])))
	case "got":
		return string(x.reply) == c.Args[0]
	case "reply":
		return strings.HasPrefix(strings.ToUpper(x.status), strings.ToUpper(c.Args[0]))
	}
	return false
}

func sentMeets(c Check, sent int) bool {
	var n int
	fmt.Sscan(c.Args[0], &n)
	return sent >= n
}

// deliveredBits is the delivered checks of an exercise a student has met:
// a message their session sent was stored where the check says, with its
// subject.
func (g *Grader) deliveredBits(student string, ex graded) uint64 {
	gr, _ := g.book.Grade(student, ex.ID)
	return gr.Delivered
}

// stored credits a delivery to the student whose session sent the message.
func (g *Grader) stored(e trace.Event) {
	m := g.sent[e.Message]
	if m == nil || m.student == "" || e.Facts == nil {
		return
	}
	acct := accountOf(m.student)
	for _, ex := range g.exercises {
		if !strings.EqualFold(ex.host, m.server) {
			continue // sent to another server than the exercise's: not that exercise (6.1 is a relay through sohu)
		}
		var bits uint64
		for j, c := range ex.checks {
			if c.Kind == "delivered" && strings.EqualFold(acct.Localize(c.Args[0]), e.Facts.Mailbox) && (len(c.Args) < 2 || m.subject == c.Args[1]) {
				bits |= 1 << j
			}
		}
		if bits == 0 {
			continue
		}
		g.book.Delivered(m.student, ex.ID, bits)
		if onlyDelivered(ex.checks) && g.deliveredBits(m.student, ex) == uint64(1)<<len(ex.checks)-1 {
			g.book.Passed(m.student, ex.ID, len(ex.checks), e.Time)
		}
	}
}

// onlyDelivered reports whether every check is a delivered one (no
// session has to meet anything else).
func onlyDelivered(checks []Check) bool {
	for _, c := range checks {
		if c.Kind != "delivered" {
			return false
		}
	}
	return true
}

// tried records a session that ended without passing the exercise the
// student is on at its server (the first there not passed yet), when the
// session got an error answer: a student who practises freely and meets
// no error has not failed anything.
func (g *Grader) tried(s *gradedSession, e trace.Event) {
	if s.student == "" {
		return
	}
	for i, ex := range g.exercises {
		if !ex.at(s) {
			continue
		}
		if gr, ok := g.book.Grade(s.student, ex.ID); ok && gr.Passed {
			continue
		}
		met := s.met[i] | g.deliveredBits(s.student, ex)
		if s.erred {
			g.book.Tried(s.student, ex.ID, bitCount(met), len(ex.checks), e.Time)
		}
		return
	}
}

func bitCount(bits uint64) int {
	n := 0
	for ; bits != 0; bits &= bits - 1 {
		n++
	}
	return n
}
