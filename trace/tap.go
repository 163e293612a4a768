package trace

import (
	"bytes"
	"net"
	"strconv"
	"sync"
	"time"

	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// Limits of what a Tap records, so that a hostile or huge session costs
// the wiretap little: one line keeps at most maxShownLine octets, one
// message or multi-line answer at most maxDataLines lines (the rest is
// summed up in one Elided event), a whole session at most
// maxSessionLines lines in any state (so no session can flush the history
// a teacher replays), and at most maxHeld events wait for the server to
// name the message they belong to.
const (
	maxShownLine    = 1000
	maxDataLines    = 500
	maxHeld         = 1000
	maxSessionLines = 2000
)

// Side says which end of a connection a Tap sits on.
type Side int

const (
	// ServerSide taps a connection a server accepted: reads are the client's
	// lines, writes are the server's.
	ServerSide Side = iota
	// ClientSide taps a connection a client dialled: writes are the client's
	// lines, reads are the server's.
	ClientSide
)

// TapConfig describes one tapped connection.
type TapConfig struct {
	Side       Side
	Proto      proto.Name // SMTP or POP3
	Client     string     // how to name the client, e.g. "127.0.0.1:53412" or "smtp.sohu.com"
	ClientRole Role       // what the client's name is (RoleSelf: a name of maillab's own, said in the reader's language)
	Server     string     // how to name the server, e.g. "smtp.sina.com"
	Session    string     // the session's id, e.g. "#3"
	Sink       Sink

	// Hop is an SMTP session's hop when the tapping side knows it (a
	// client that dials to submit or to relay). When it is empty, IsRelay
	// decides at HELO/EHLO from the name given: a relay when it names a
	// provider's server, a submission when not; lines before have no hop.
	Hop     Hop
	IsRelay func(heloName string) bool

	// OnlyHop, when set, records only sessions of that hop: events wait
	// until HELO/EHLO tells the hop, then go out, or are dropped with
	// all that follow. A relay session is named by its HELO name.
	OnlyHop Hop

	// Handover is set on the server side of maillab's own servers: they
	// say which reply each answer is (Replying) and which message a
	// transaction carries (SetMessage, SetMailbox), so nothing is guessed
	// from text. The lines from MAIL to its answer wait until the server
	// has named the message.
	Handover bool
	// NewMessage names the transactions a client begins, on the client's
	// side (the relay knows which message it sends); nil: none.
	NewMessage func() string
	// Judge, on the server side, watches the client and says what it did
	// wrong or risky when the session ends (an Event with Action Verdict);
	// OffersTLS says the server offers STARTTLS or STLS on this port.
	Judge     bool
	OffersTLS bool
	// Follower follows the conversation; nil: a new one for Proto. A
	// client that keeps the conversation's state hands in its own, so the
	// conversation is followed once.
	Follower proto.Follower
}

// NewFollower returns a Follower for a protocol (nil for an unknown one).
func NewFollower(name proto.Name, cfg proto.Config) proto.Follower {
	switch name {
	case proto.SMTP:
		return smtp.NewFollower(cfg)
	case proto.POP3:
		return pop3.NewFollower(cfg)
	}
	return nil
}

// Tap wraps a net.Conn and turns every line read or written into an
// Event, marked by the protocol's Follower: a command, a reply or message
// data, the command a reply answers, which reply it is, whether it holds a
// secret, the message it belongs to.
type Tap struct {
	net.Conn
	cfg TapConfig

	mu       sync.Mutex
	follower proto.Follower
	client   lineSplitter // bytes the client sent
	server   lineSplitter // bytes the server sent
	hop      Hop
	account  string  // set by SetAccount once the session logs in
	waiting  []Event // OnlyHop: events held until the hop is known
	muted    bool    // OnlyHop: the hop is another; nothing is recorded
	secure   bool    // above TLS: every line was encrypted on the wire
	meter    *Meter  // below TLS, when secure: what an eavesdropper sees
	replied  bool    // a whole server answer was just recorded
	opaque   bool    // STARTTLS or STLS was accepted: what follows is a handshake, not lines
	wireSeen bool    // an eavesdropper's view was shown once already
	handed   proto.Key
	held     []Event // Handover: from MAIL until the server names the message
	holding  bool
	answers  string // the command the answer in progress answers

	dataLines    int // lines of the current message or answer so far
	elided       int // of them, lines not recorded
	elidedOctets int64
	lines        int // lines of the session so far
	closed       bool
	judge        *judge // Judge: what the client did wrong
}

// NewTap wraps conn. Every line that crosses it is passed to cfg.Sink.
func NewTap(conn net.Conn, cfg TapConfig) *Tap {
	f := cfg.Follower
	if f == nil {
		f = NewFollower(cfg.Proto, proto.Config{NewMessage: cfg.NewMessage})
	}
	t := &Tap{Conn: conn, cfg: cfg, hop: cfg.Hop, follower: f}
	if cfg.Judge && cfg.Side == ServerSide {
		t.judge = newJudge(cfg.Proto, cfg.OffersTLS)
	}
	return t
}

// Read reads from the connection and records complete lines.
func (t *Tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if n > 0 {
		t.record(t.cfg.Side == ServerSide, p[:n])
		if t.cfg.Side == ClientSide {
			t.afterReply() // the answer's records were read before its lines
		}
	}
	return n, err
}

// Write records complete lines, then writes them to the connection. The
// Event comes first so that it precedes anything the peer does in answer.
func (t *Tap) Write(p []byte) (int, error) {
	t.record(t.cfg.Side == ClientSide, p)
	n, err := t.Conn.Write(p)
	if t.cfg.Side == ServerSide {
		t.afterReply() // the answer's records are written now
	}
	return n, err
}

// afterReply tells what an eavesdropper saw of an exchange, once its
// answer has crossed the wire.
func (t *Tap) afterReply() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.replied && t.secure {
		t.wireSummary()
	}
	t.replied = false
}

// SetAccount records the account the session has logged in as: every
// later Event carries it (the server calls it before it answers the
// login, so the answer carries it too).
func (t *Tap) SetAccount(account string) {
	t.mu.Lock()
	t.account = account
	t.mu.Unlock()
}

// Follow runs fn with the conversation's Follower, while no line is
// being marked: to read its state.
func (t *Tap) Follow(fn func(proto.Follower)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn(t.follower)
}

// Replying hands over which reply of the catalogue the server writes next.
func (t *Tap) Replying(key proto.Key) {
	t.mu.Lock()
	t.handed = key
	t.mu.Unlock()
}

// SetMessage names the message of the transaction the server has just
// accepted MAIL for (before it answers): the lines from MAIL on carry it.
func (t *Tap) SetMessage(id string) {
	t.mu.Lock()
	t.follower.SetMessage(id)
	t.mu.Unlock()
}

// SetMailbox hands over the journeys of the messages of the mailbox a
// POP3 session logged in to (before it answers the login).
func (t *Tap) SetMailbox(owner string, journeys []string) {
	t.mu.Lock()
	t.follower.SetMailbox(owner, journeys)
	t.mu.Unlock()
}

// Close closes the connection and records that it closed (once), so that
// consumers can forget the session.
func (t *Tap) Close() error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		t.flushElided(FromClient)
		t.release("")
		t.giveVerdict()
		t.emit(Event{Kind: Internal, Action: Closed, Dir: FromClient})
	}
	t.mu.Unlock()
	return t.Conn.Close()
}

func (t *Tap) record(fromClient bool, p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.opaque {
		return // a handshake (or, below a TLS this Tap is not above, ciphertext)
	}
	split := &t.server
	if fromClient {
		split = &t.client
	}
	split.feed(p, func(line string, octets int, bareLF bool) {
		if t.lines++; t.lines > maxSessionLines {
			t.elided++ // followed no more: the session has said enough for any transcript
			t.elidedOctets += int64(octets)
			if t.judge != nil {
				t.judge.blind = true
			}
			return
		}
		if fromClient {
			t.clientLine(line, octets, bareLF)
		} else {
			t.serverLine(line, octets)
		}
	})
}

// emit fills in what every Event of this session shares and passes it on.
func (t *Tap) emit(e Event) {
	e.Time, e.Proto, e.Session, e.Hop, e.TLS = time.Now(), t.cfg.Proto, t.cfg.Session, t.hop, t.secure
	e.Account, e.Login = t.account, loginOf(t.account, e.Login)
	if e.Account != "" {
		e.Claimed = "" // logged in: nothing is only claimed
	}
	if e.Dir == FromClient {
		e.From, e.FromRole, e.To = t.cfg.Client, t.cfg.ClientRole, t.cfg.Server
	} else {
		e.From, e.To, e.ToRole = t.cfg.Server, t.cfg.Client, t.cfg.ClientRole
	}
	switch {
	case t.cfg.Sink == nil || t.muted:
	case t.holding && e.Action != Closed:
		if len(t.held) >= maxHeld {
			t.release("") // the server is taking too long to answer MAIL
			t.cfg.Sink(e)
			return
		}
		t.held = append(t.held, e)
	case t.cfg.OnlyHop != "" && t.hop == "":
		if len(t.waiting) < 64 {
			t.waiting = append(t.waiting, e)
		}
	default:
		t.cfg.Sink(e)
	}
}

// loginOf is how a session's login stands on one of its events.
func loginOf(account string, marked proto.Login) proto.Login {
	switch {
	case account != "":
		return proto.LoginOK
	case marked == proto.LoginFailed:
		return proto.LoginFailed
	}
	return proto.LoginNone
}

// release sends on the events held since MAIL, naming their message.
func (t *Tap) release(message string) {
	held := t.held
	t.held, t.holding = nil, false
	for _, e := range held {
		if e.Message == "" {
			e.Message = message
		}
		t.emitHeld(e)
	}
}

// emitHeld passes on an event held back, as emit would have.
func (t *Tap) emitHeld(e Event) {
	switch {
	case t.cfg.OnlyHop != "" && t.hop == "":
		if len(t.waiting) < 64 {
			t.waiting = append(t.waiting, e)
		}
	case !t.muted:
		t.cfg.Sink(e)
	}
}

// hopKnown lets held events go out when the hop is the one recorded (the
// client named by its HELO name, as a relaying server), or mutes the Tap.
func (t *Tap) hopKnown(heloName string) {
	if t.hop == Relay {
		t.cfg.Client, t.cfg.ClientRole = heloName, "" // a provider relaying: named as it names itself
	}
	if t.cfg.OnlyHop == "" {
		return
	}
	if t.hop != t.cfg.OnlyHop {
		t.muted, t.waiting = true, nil
		return
	}
	for _, e := range t.waiting {
		if e.Dir == FromServer {
			e.To, e.ToRole = heloName, ""
		} else {
			e.From, e.FromRole = heloName, ""
		}
		e.Hop = t.hop
		t.cfg.Sink(e)
	}
	t.waiting = nil
}

// clientLine records a line the client sent.
func (t *Tap) clientLine(line string, octets int, bareLF bool) {
	m := t.follower.Client(line, octets)
	if t.judge != nil {
		t.judge.client(m, line, octets, bareLF, t.secure)
	}
	if m.Kind == proto.Data && line != "." {
		if !t.countData(octets) {
			return
		}
	} else if m.Kind == proto.Data {
		t.flushElided(FromClient)
	} else {
		t.dataLines = 0
	}
	if m.Kind == proto.Command && (m.Verb == "EHLO" || m.Verb == "HELO") {
		t.helo(line)
	}
	if t.cfg.Handover && m.Kind == proto.Command && m.Verb == "MAIL" && !t.holding {
		t.holding = true
	}
	t.emit(eventOf(m, FromClient, line))
}

// helo learns an SMTP session's hop from the name HELO/EHLO gives.
func (t *Tap) helo(line string) {
	if t.cfg.Hop != "" || t.cfg.IsRelay == nil {
		return
	}
	name := proto.Arg(line)
	t.hop = Submission
	if t.cfg.IsRelay(name) {
		t.hop = Relay
	}
	t.hopKnown(name)
}

// serverLine records a line the server sent.
func (t *Tap) serverLine(line string, octets int) {
	m := t.follower.Server(line, octets, t.handed)
	if m.Final {
		t.handed = ""
	}
	if t.judge != nil {
		t.judge.server(m, line)
	}
	if m.Kind == proto.Data && line != "." {
		if !t.countData(octets) {
			return
		}
	} else if m.Kind == proto.Reply {
		t.dataLines, t.answers = 0, m.Answers
	} else {
		t.flushElided(FromServer)
	}
	if t.holding && m.Kind == proto.Reply && m.Verb == "MAIL" {
		t.release(m.Message)
	}
	t.replied = t.replied || m.Final
	t.emit(eventOf(m, FromServer, line))
	if m.TLSNext {
		t.opaque = true
	}
}

// eventOf is the Event of a line with its mark.
func eventOf(m proto.Mark, dir Dir, line string) Event {
	return Event{Kind: m.Kind, Dir: dir, Line: line, Verb: m.Verb, Answers: m.Answers, Reply: m.Reply, Status: m.Status,
		Final: m.Final, Challenge: m.Challenge, Secret: m.Secret, Claimed: m.Claimed, Login: m.Login, Message: m.Message,
		Sender: m.Sender, Recipient: m.Recipient, Content: m.Content, LoggedIn: m.LoggedIn, Ends: m.Ends}
}

// countData counts a line of a message or multi-line answer and reports
// whether to record it; past maxDataLines lines are only counted.
func (t *Tap) countData(octets int) bool {
	t.dataLines++
	if t.dataLines <= maxDataLines {
		return true
	}
	t.elided++
	t.elidedOctets += int64(octets)
	return false
}

// flushElided records how much of a long message was left out.
func (t *Tap) flushElided(dir Dir) {
	if t.elided == 0 {
		return
	}
	t.emit(Event{Kind: Internal, Action: Elided, Dir: dir, Answers: t.answers, Verb: proto.Verb(t.answers), Facts: &Facts{Count: t.elided, Size: t.elidedOctets}})
	t.elided, t.elidedOctets, t.dataLines = 0, 0, 0
}

// lineSplitter cuts a byte stream into lines, keeping at most maxShownLine
// bytes of each.
type lineSplitter struct {
	buf     []byte
	dropped int
}

// feed splits p and calls line for each complete line with its text, its
// length in octets on the wire and whether it ended in a bare LF.
func (s *lineSplitter) feed(p []byte, line func(text string, octets int, bareLF bool)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk, ending := p, 0
		if i >= 0 {
			chunk = bytes.TrimSuffix(p[:i], []byte("\r"))
			ending = i + 1 - len(chunk)
		}
		room := min(maxShownLine-len(s.buf), len(chunk))
		if room > 0 {
			s.buf = append(s.buf, chunk[:room]...)
		}
		s.dropped += len(chunk) - max(room, 0)
		if i < 0 {
			return
		}
		crlf := ending == 2 || s.dropped == 0 && bytes.HasSuffix(s.buf, []byte("\r"))
		text := string(bytes.TrimSuffix(s.buf, []byte("\r")))
		octets := len(s.buf) + s.dropped + ending
		if s.dropped > 0 {
			text += " …(" + strconv.Itoa(s.dropped) + " more octets)"
		}
		line(text, octets, !crlf)
		s.buf, s.dropped = s.buf[:0], 0
		p = p[i+1:]
	}
}

// giveVerdict says, as the session ends, what its client did wrong or
// risky (a client program's session; a relaying provider is the
// sandbox's own).
func (t *Tap) giveVerdict() {
	if t.judge == nil || t.hop == Relay || !t.judge.said {
		return
	}
	findings := t.judge.verdict()
	t.emit(Event{Kind: Internal, Action: Verdict, Dir: FromClient, Facts: &Facts{Findings: findings, Count: Problems(findings)}})
}
