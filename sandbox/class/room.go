// Package class follows a class on a sandbox from what its servers saw:
// a tile per student (how far their latest message got, what they sent
// and received, their last error, whether they look stuck), the grade
// book a grader fills from the same events, and the class's state kept
// across restarts. Nothing here comes from a student's say-so: a session
// counts for a student once the server accepted their login, and a name
// only claimed (a failed login) is shown as claimed, with its address.
package class

import (
	"sort"
	"strings"
	"sync"
	"time"

	"maillab/sandbox"
	"maillab/trace"
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// Observer takes every event of the sandbox, in order.
type Observer interface{ Observe(trace.Event) }

// Options say how to follow a class.
type Options struct {
	Dir        string           // keep the class's state in DIR/class.json; "": not kept
	Book       *Book            // the grade book; nil: an empty one
	Grader     Observer         // fed every event after the room; may be nil
	StuckAfter time.Duration    // errors and nothing else this long: stuck; default 3 minutes
	Now        func() time.Time // the clock (tests); default time.Now
}

// Tile is one student at a glance.
type Tile struct {
	Student      string   `json:"student"`  // "s07", or a demo account's address in a sandbox without a class
	Accounts     []string `json:"accounts"` // the addresses it logs in as
	Online       int      `json:"online"`   // sessions logged in now
	Sessions     int      `json:"sessions"` // sessions that logged in
	Sent         int      `json:"sent"`     // messages its sessions handed over (250 after the dot)
	Received     int      `json:"received"` // messages stored in its mailboxes
	Message      string   `json:"message,omitempty"`
	To           string   `json:"to,omitempty"`     // its latest message's (first) recipient
	Step         int      `json:"step"`             // the furthest step of its latest message (1 to 6)
	Fate         Fate     `json:"fate,omitempty"`   // what became of it
	Reason       string   `json:"reason,omitempty"` // why it was deferred or bounced
	Passed       int      `json:"passed"`
	Failed       int      `json:"failed"`        // exercises tried and not passed
	FailedLogins int      `json:"failed_logins"` // logins refused for its name (from any address)
	LastError    *Problem `json:"last_error,omitempty"`
	// Faulted counts the sessions whose verdict found a problem (a
	// caution alone is no fault); LastVerdict is the latest verdict that
	// found anything. Neither makes a student look stuck.
	Faulted     int           `json:"faulted"`
	LastVerdict *ClientReport `json:"last_verdict,omitempty"`
	Stuck       bool          `json:"stuck"`
	LastSeen    time.Time     `json:"last_seen,omitzero"`
}

// Problem is an error reply a student got.
type Problem struct {
	Status  string    `json:"status"`  // "535", "-ERR"
	Line    string    `json:"line"`    // the reply, control characters escaped, cut to 120 characters
	Verb    string    `json:"verb"`    // the command it answered (its verb only: an argument may be a password)
	Claimed bool      `json:"claimed"` // a login refused for the student's name: maybe not the student
	Client  string    `json:"client,omitempty"`
	Secret  bool      `json:"secret,omitempty"` // the reply may repeat what was typed (a password): hidden on the projector
	When    time.Time `json:"when"`
}

// ClientReport is the verdict the servers gave on one of a student's
// client sessions.
type ClientReport struct {
	Session  string          `json:"session"`
	Proto    string          `json:"proto"`
	Findings []trace.Finding `json:"findings"`
	When     time.Time       `json:"when"`
}

// Fate is what became of a message.
type Fate string

// The fates, in the order a message meets them.
const (
	Sending   Fate = "sending"   // its transaction is open
	Accepted  Fate = "accepted"  // 250 after the dot
	Refused   Fate = "refused"   // read to the end and not accepted
	Queued    Fate = "queued"    // waiting for the relay
	Deferred  Fate = "deferred"  // the next provider said "not now"; it is retried
	Bounced   Fate = "bounced"   // undeliverable: the sender got a report
	Delivered Fate = "delivered" // stored in the mailbox
	Retrieved Fate = "retrieved" // a POP3 client took it
)

// Room follows a class. It is safe for concurrent use.
type Room struct {
	world  *sandbox.World
	opts   Options
	book   *Book
	mu     sync.Mutex
	tiles  map[string]*tile
	open   *Recent[*session] // by session id, until it closes (or is forgotten, the oldest first)
	trips  *journeys
	saving *saver
}

// tile is a Tile with what it takes to tell whether the student is stuck.
type tile struct {
	Tile
	ErrorsInARow int       `json:"errors_in_a_row"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	FirstSeen    time.Time `json:"first_seen,omitzero"`
}

// session is what the room keeps of an open session.
type session struct {
	student string // who it logged in as, once it has
}

// most open sessions and messages followed at once: a flood of either
// forgets the oldest rather than grow.
const (
	maxOpen     = 8192
	maxJourneys = 20000
)

// Open follows a class on a world's accounts, taking the state kept in
// opts.Dir, if any, and keeping it there until Close.
func Open(w *sandbox.World, opts Options) (*Room, error) {
	if opts.Book == nil {
		opts.Book = NewBook(nil)
	}
	if opts.StuckAfter == 0 {
		opts.StuckAfter = 3 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Room{world: w, opts: opts, book: opts.Book, tiles: map[string]*tile{}, open: NewRecent[*session](maxOpen), trips: newJourneys(maxJourneys)}
	for _, p := range w.Providers {
		for _, u := range p.Users() {
			if p.Students[u] {
				r.tileOf(u + "@" + p.Domain)
			}
		}
	}
	if opts.Dir != "" {
		if err := r.load(); err != nil {
			return nil, err
		}
		r.saving = startSaver(r)
	}
	return r, nil
}

// Book is the class's grade book.
func (r *Room) Book() *Book { return r.book }

// Close stops following and keeps the state one last time.
func (r *Room) Close() error {
	if r.saving == nil {
		return nil
	}
	return r.saving.stop()
}

// StudentOf is whose tile and grades an address's work is: a student's
// local part in a class; without a class, a demo account's address; ""
// for anyone else (the postmaster, a name that is no account).
func StudentOf(w *sandbox.World, address string) string {
	a, err := sandbox.ParseAddress(address)
	if err != nil {
		return ""
	}
	p, user, ok := w.Account(a)
	switch {
	case !ok || user == sandbox.Postmaster:
		return ""
	case p.Students[user]:
		return strings.ToLower(user)
	case !hasClass(w):
		return strings.ToLower(user + "@" + p.Domain)
	}
	return ""
}

// hasClass reports whether the world has students.
func hasClass(w *sandbox.World) bool {
	for _, p := range w.Providers {
		if len(p.Students) > 0 {
			return true
		}
	}
	return false
}

// student is StudentOf in the room's world.
func (r *Room) student(address string) string { return StudentOf(r.world, address) }

// tileOf returns the tile of an address's student, making it; nil for
// nobody's address.
func (r *Room) tileOf(address string) *tile {
	key := r.student(address)
	if key == "" {
		return nil
	}
	t := r.tiles[key]
	if t == nil {
		t = &tile{Tile: Tile{Student: key}}
		r.tiles[key] = t
	}
	a, _ := sandbox.ParseAddress(address)
	_, user, _ := r.world.Account(a)
	canonical := strings.ToLower(user + "@" + a.Domain)
	if !contains(t.Accounts, canonical) {
		t.Accounts = append(t.Accounts, canonical)
		sort.Strings(t.Accounts)
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Observe takes one event of the sandbox (unmasked), then hands it to
// the grader.
func (r *Room) Observe(e trace.Event) {
	r.mu.Lock()
	r.observe(e)
	r.mu.Unlock()
	if r.opts.Grader != nil {
		r.opts.Grader.Observe(e)
	}
}

func (r *Room) observe(e trace.Event) {
	r.follow(e)
	if e.Action == trace.Stored && e.Facts != nil {
		if t := r.tileOf(e.Facts.Mailbox); t != nil {
			t.Received++
			r.markChanged()
		}
	}
	if e.Session == "" {
		return
	}
	s, _ := r.open.Get(e.Session)
	if e.Action == trace.Closed {
		r.gone(s)
		r.open.Delete(e.Session)
		return
	}
	if s == nil {
		s = &session{}
		if old, forgot := r.open.Put(e.Session, s); forgot {
			r.gone(old) // its close was never seen: a flood's drops
		}
	}
	r.claimed(e)
	if e.Account != "" && s.student == "" {
		if t := r.tileOf(e.Account); t != nil {
			s.student = t.Student
			t.Sessions++
			t.Online++
		}
	}
	if s.student != "" {
		r.studentDid(r.tiles[s.student], e)
	}
}

// gone ends a session's count as online.
func (r *Room) gone(s *session) {
	if s == nil || s.student == "" {
		return
	}
	t := r.tiles[s.student]
	t.Online = max(t.Online-1, 0)
	r.markChanged()
}

// claimed counts a login refused for a student's name on the student's
// tile, saying it was claimed and from where: maybe a typo, maybe not
// the student at all. So it never makes the student look stuck, nor
// seen, and the projector does not show it.
func (r *Room) claimed(e trace.Event) {
	if e.Login != proto.LoginFailed || e.Claimed == "" || e.Kind != trace.Reply || !e.Final {
		return
	}
	name := e.Claimed
	if !strings.Contains(name, "@") {
		name += "@" + r.domainOf(e.Server())
	}
	t := r.tileOf(name)
	if t == nil {
		return
	}
	t.FailedLogins++
	t.LastError = problem(e, true) // for the teacher: a claim says nothing of how the student does, nor when
	r.markChanged()
}

// domainOf is the domain of a server's provider.
func (r *Room) domainOf(server string) string {
	for _, p := range r.world.Providers {
		for _, svc := range p.Services {
			if strings.EqualFold(svc.Host, server) {
				return p.Domain
			}
		}
	}
	return ""
}

// studentDid updates a student's tile from an event of their session.
func (r *Room) studentDid(t *tile, e trace.Event) {
	t.LastSeen = e.Time
	if t.FirstSeen.IsZero() {
		t.FirstSeen = e.Time
	}
	r.markChanged()
	if e.Action == trace.Verdict {
		verdictOn(t, e)
		return
	}
	if e.Hop == trace.Submission && e.Reply == smtp.SenderOK.Key && e.Message != "" {
		t.Message = e.Message
		r.trips.get(e.Message).student = t.Student
	}
	if !IsAnswer(e) || e.Answers == "" && e.Login != proto.LoginOK || e.Verb == "QUIT" || e.Login == proto.LoginFailed {
		return // a greeting or a goodbye says nothing of how the student does; a refused login was counted as claimed
	}
	if e.Ends && e.Hop == trace.Submission && strings.HasPrefix(e.Status, "2") {
		t.Sent++
	}
	if proto.Refused(e.Status) {
		t.ErrorsInARow++
		t.LastError = problem(e, false)
		return
	}
	t.ErrorsInARow = 0
	t.LastSuccess = e.Time
}

// verdictOn keeps a verdict that found something on the student's tile.
func verdictOn(t *tile, e trace.Event) {
	if e.Facts == nil || len(e.Facts.Findings) == 0 {
		return
	}
	if trace.Problems(e.Facts.Findings) > 0 {
		t.Faulted++
	}
	t.LastVerdict = &ClientReport{Session: e.Session, Proto: string(e.Proto), Findings: e.Facts.Findings, When: e.Time}
}

// IsAnswer reports whether an event is the status line that decides a
// server's answer: SMTP's last line ("250 ..." after "250-..."), POP3's
// first ("+OK" before the lines of a multi-line answer).
func IsAnswer(e trace.Event) bool {
	return e.Kind == trace.Reply && (e.Final || e.Proto == trace.POP3)
}

// problem is the error an event's reply is.
func problem(e trace.Event, claimed bool) *Problem {
	line := []rune(trace.Visible(e.Line))
	if len(line) > 120 {
		line = append(line[:119], '…')
	}
	p := &Problem{Status: e.Status, Line: string(line), Verb: trace.Visible(e.Verb), Claimed: claimed, Secret: e.Secret, When: e.Time}
	if claimed {
		p.Client = e.Client()
	}
	return p
}

// markChanged says the state is worth keeping again.
func (r *Room) markChanged() {
	if r.saving != nil {
		r.saving.changed = true
	}
}

// Tiles returns every student's tile, by name. Public tiles (for the
// projector) leave out where claimed logins came from.
func (r *Room) Tiles(public bool) []Tile {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	out := make([]Tile, 0, len(r.tiles))
	for _, t := range r.tiles {
		out = append(out, r.view(t, now, public))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Student < out[j].Student })
	return out
}

// view is a tile as shown now.
func (r *Room) view(t *tile, now time.Time, public bool) Tile {
	v := t.Tile
	v.Accounts = append([]string(nil), t.Accounts...)
	if j := r.trips.find(t.Message); j != nil {
		v.Step, v.Fate, v.Reason, v.To = j.step, j.fate, j.reason, j.to
	}
	v.Passed, v.Failed = r.book.Counts(t.Student)
	v.Stuck = r.stuck(t, now)
	v.LastError = nil
	if t.LastError != nil && !(public && t.LastError.Claimed) {
		p := *t.LastError
		if public && p.Secret {
			p.Line, p.Verb = p.Status+" ••••••", ""
		}
		if public {
			p.Client = ""
		}
		v.LastError = &p
	}
	return v
}

// stuck: the last three answers were errors, or there were errors and
// nothing but errors for StuckAfter.
func (r *Room) stuck(t *tile, now time.Time) bool {
	if t.ErrorsInARow >= 3 {
		return true
	}
	since := t.LastSuccess
	if since.IsZero() {
		since = t.FirstSeen
	}
	return t.ErrorsInARow > 0 && !since.IsZero() && now.Sub(since) >= r.opts.StuckAfter
}

// Reset forgets a student's grades and tile counts ("": everyone's).
func (r *Room) Reset(student string) {
	r.book.Reset(student)
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, t := range r.tiles {
		if student == "" || key == student {
			t.Tile = Tile{Student: key, Accounts: t.Accounts, Online: t.Online}
			t.ErrorsInARow, t.LastSuccess, t.FirstSeen = 0, time.Time{}, time.Time{}
		}
	}
	r.markChanged()
}

// Students lists the students with tiles, sorted.
func (r *Room) Students() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.tiles))
	for key := range r.tiles {
		out = append(out, key)
	}
	sort.Strings(out)
	return out
}
