package trace

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"maillab/sandbox/reply"
)

// Limits of what a Tap records, so that a hostile or huge session costs
// the wiretap little: one line keeps at most maxShownLine octets, one
// message or multi-line answer at most maxDataLines lines (the rest is
// summed up in one Elided event), and at most maxPending commands wait
// for their answers.
const (
	maxShownLine = 1000
	maxDataLines = 500
	maxPending   = 1000
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
	Side    Side
	Proto   string // SMTP or POP3
	Client  string // how to name the client, e.g. "127.0.0.1:53412" or "smtp.sohu.com"
	Server  string // how to name the server, e.g. "smtp.sina.com"
	Session string // a short label for the session, e.g. "s3 127.0.0.1:53412"
	Sink    Sink

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
}

// Tap wraps a net.Conn and turns every line read or written into an Event.
// It follows the protocol to record what each line is: its direction, a
// command or a reply or message data (DATA ... "." in SMTP, multi-line
// answers in POP3), the command each server line answers, which reply of
// the catalogue it is, and an SMTP session's hop.
type Tap struct {
	net.Conn
	cfg TapConfig

	mu      sync.Mutex
	client  lineSplitter // bytes the client sent
	server  lineSplitter // bytes the server sent
	pending []string     // commands not yet answered, oldest first
	greeted bool         // the greeting, which answers no command, was seen
	hop     Hop
	account string  // set by SetAccount once the session logs in
	waiting []Event // OnlyHop: events held until the hop is known
	muted   bool    // OnlyHop: the hop is another; nothing is recorded
	secure  bool    // above TLS: every line was encrypted on the wire
	meter   *Meter  // below TLS, when secure: what an eavesdropper sees
	replied bool    // a whole server answer was just recorded
	opaque  bool    // STARTTLS or STLS was accepted: what follows is a handshake, not lines

	// the server's answer in progress
	answering string    // the command it answers
	key       reply.Key // the reply it is
	inReply   bool      // SMTP: continuation lines ("250-...") follow

	// message content
	inData       bool // SMTP: client lines are the message, up to "."
	awaitingData bool // SMTP: DATA sent, its reply not seen yet
	inMulti      bool // POP3: server lines are a multi-line answer, up to "."
	dataLines    int  // lines of the current message or answer so far
	elided       int  // of them, lines not recorded
	elidedOctets int64
	closed       bool
}

// NewTap wraps conn. Every line that crosses it is passed to cfg.Sink.
func NewTap(conn net.Conn, cfg TapConfig) *Tap {
	return &Tap{Conn: conn, cfg: cfg, hop: cfg.Hop}
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

// Close closes the connection and records that it closed (once), so that
// consumers can forget the session.
func (t *Tap) Close() error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		t.flushElided(t.inData)
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
	split.feed(p, func(line string, octets int) {
		if fromClient {
			t.clientLine(line, octets)
		} else {
			t.serverLine(line, octets)
		}
	})
}

// emit fills in what every Event of this session shares and passes it on.
func (t *Tap) emit(e Event) {
	e.Time, e.Proto, e.Session, e.Hop, e.Account, e.TLS = time.Now(), t.cfg.Proto, t.cfg.Session, t.hop, t.account, t.secure
	if e.Dir == FromClient {
		e.From, e.To = t.cfg.Client, t.cfg.Server
	} else {
		e.From, e.To = t.cfg.Server, t.cfg.Client
	}
	switch {
	case t.cfg.Sink == nil || t.muted:
	case t.cfg.OnlyHop != "" && t.hop == "":
		if len(t.waiting) < 64 {
			t.waiting = append(t.waiting, e)
		}
	default:
		t.cfg.Sink(e)
	}
}

// hopKnown lets held events go out when the hop is the one recorded (the
// client named by its HELO name, as a relaying server), or mutes the Tap.
func (t *Tap) hopKnown(heloName string) {
	if t.hop == Relay {
		t.cfg.Client = heloName // a provider relaying: named as it names itself
	}
	if t.cfg.OnlyHop == "" {
		return
	}
	if t.hop != t.cfg.OnlyHop {
		t.muted, t.waiting = true, nil
		return
	}
	t.cfg.Client = heloName
	for _, e := range t.waiting {
		if e.Dir == FromServer {
			e.To = heloName
		} else {
			e.From = heloName
		}
		e.Hop = t.hop
		t.cfg.Sink(e)
	}
	t.waiting = nil
}

// clientLine records a line the client sent.
func (t *Tap) clientLine(line string, octets int) {
	if t.inData {
		if line == "." {
			t.inData = false
			t.flushElided(true)
			t.expect(".")
		} else if !t.countData(octets) {
			return
		}
		t.emit(Event{Kind: Data, Dir: FromClient, Line: line})
		return
	}
	verb := strings.ToUpper(Verb(line))
	if t.cfg.Proto == SMTP {
		t.smtpCommand(verb, line)
	}
	t.expect(line)
	t.emit(Event{Kind: Command, Dir: FromClient, Line: line})
}

// smtpCommand notes what an SMTP command changes: HELO/EHLO tells the hop,
// DATA starts the message (clients such as nc send it without waiting).
func (t *Tap) smtpCommand(verb, line string) {
	switch verb {
	case "EHLO", "HELO":
		if t.cfg.Hop == "" && t.cfg.IsRelay != nil {
			_, name, _ := strings.Cut(strings.TrimSpace(line), " ")
			t.hop = Submission
			if t.cfg.IsRelay(strings.TrimSpace(name)) {
				t.hop = Relay
			}
			t.hopKnown(strings.TrimSpace(name))
		}
	case "DATA":
		if strings.EqualFold(strings.TrimSpace(line), "DATA") {
			t.inData, t.awaitingData, t.dataLines = true, true, 0
		}
	}
}

// expect queues a command for the answer that will come.
func (t *Tap) expect(cmd string) {
	if len(t.pending) < maxPending {
		t.pending = append(t.pending, cmd)
	}
}

// answered takes the oldest command waiting for an answer.
func (t *Tap) answered() string {
	if !t.greeted {
		t.greeted = true
		return ""
	}
	if len(t.pending) == 0 {
		return ""
	}
	cmd := t.pending[0]
	t.pending = t.pending[1:]
	if len(t.pending) == 0 {
		t.pending = t.pending[:0:0] // let a long pipeline's array go
	}
	return cmd
}

// serverLine records a line the server sent.
func (t *Tap) serverLine(line string, octets int) {
	if t.cfg.Proto == POP3 {
		t.pop3ServerLine(line, octets)
		return
	}
	if !t.inReply {
		t.answering = t.answered()
		t.key = reply.IdentifySMTP(line)
	}
	final := len(line) < 4 || line[3] != '-'
	t.inReply = !final
	t.replied = t.replied || final
	if t.awaitingData && final {
		t.awaitingData = false
		if smtpStatus(line) != "354" {
			t.inData = false
		}
	}
	t.emit(Event{Kind: Reply, Dir: FromServer, Line: line, Status: smtpStatus(line), Reply: t.key, Answers: t.answering})
	if final && smtpStatus(line) == "220" && strings.EqualFold(strings.TrimSpace(t.answering), "STARTTLS") {
		t.opaque = true
	}
}

// smtpStatus is a reply line's three-digit code, or "" when it has none.
func smtpStatus(line string) string {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' {
		return ""
	}
	return line[:3]
}

// pop3Status is a status line's "+OK" or "-ERR", or "" when it has none.
func pop3Status(line string) string {
	for _, s := range []string{"+OK", "-ERR"} {
		if strings.HasPrefix(line, s) {
			return s
		}
	}
	return ""
}

// pop3ServerLine records a POP3 status line or a line of a multi-line
// answer.
func (t *Tap) pop3ServerLine(line string, octets int) {
	if t.inMulti {
		if line == "." {
			t.inMulti = false
			t.replied = true
			t.flushElided(false)
		} else if !t.countData(octets) {
			return
		}
		t.emit(Event{Kind: Data, Dir: FromServer, Line: line, Answers: t.answering})
		return
	}
	t.answering = t.answered()
	t.key = reply.IdentifyPOP3(line, t.answering)
	status := pop3Status(line)
	if status == "+OK" && POP3MultiLine(t.answering) {
		t.inMulti, t.dataLines = true, 0
	} else {
		t.replied = true
	}
	t.emit(Event{Kind: Reply, Dir: FromServer, Line: line, Status: status, Reply: t.key, Answers: t.answering})
	if status == "+OK" && strings.EqualFold(strings.TrimSpace(t.answering), "STLS") {
		t.opaque = true
	}
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
func (t *Tap) flushElided(fromClient bool) {
	if t.elided == 0 {
		return
	}
	dir := FromServer
	if fromClient {
		dir = FromClient
	}
	t.emit(Event{Kind: Internal, Action: Elided, Dir: dir, Answers: t.answering, Facts: &Facts{Count: t.elided, Size: t.elidedOctets}})
	t.elided, t.elidedOctets = 0, 0
}

// lineSplitter cuts a byte stream into lines, keeping at most maxShownLine
// bytes of each.
type lineSplitter struct {
	buf     []byte
	dropped int
}

// feed splits p and calls line for each complete line with its text and
// its length in octets on the wire.
func (s *lineSplitter) feed(p []byte, line func(text string, octets int)) {
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
		text := string(bytes.TrimSuffix(s.buf, []byte("\r")))
		octets := len(s.buf) + s.dropped + ending
		if s.dropped > 0 {
			text += " …(" + strconv.Itoa(s.dropped) + " more octets)"
		}
		line(text, octets)
		s.buf, s.dropped = s.buf[:0], 0
		p = p[i+1:]
	}
}

// POP3MultiLine reports whether a successful answer to cmd is multi-line
// (RFC 1939 and RFC 2449).
func POP3MultiLine(cmd string) bool {
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return false
	}
	switch strings.ToUpper(fields[0]) {
	case "RETR", "TOP", "CAPA":
		return true
	case "LIST", "UIDL":
		return len(fields) == 1
	}
	return false
}
