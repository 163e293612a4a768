package trace

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxShownLine is how much of one line a Tap keeps for its Event; the rest of
// an overlong line is counted, not stored, so a Tap never buffers much.
const maxShownLine = 1000

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
	Proto   string // "SMTP" or "POP3"
	Client  string // how to name the client, e.g. "127.0.0.1:53412" or "smtp.sohu.com"
	Server  string // how to name the server, e.g. "smtp.sina.com"
	Session string // a short label for the session, e.g. "s3 127.0.0.1:53412"
	Step    int    // the six-step number of an SMTP session (1 or 2); POP3 steps follow the commands
	Sink    Sink

	// IsRelay, when Step is 0, decides an SMTP session's step from the
	// name in HELO or EHLO: 2 when it names a provider relaying, 1 when
	// not. Lines before HELO/EHLO have step 0.
	IsRelay func(heloName string) bool
}

// Tap wraps a net.Conn and turns every line read or written into an Event.
// It classifies lines as Command, Reply or Data by following the protocol
// (DATA ... "." in SMTP, multi-line answers in POP3).
type Tap struct {
	net.Conn
	cfg TapConfig

	mu      sync.Mutex
	client  lineSplitter // bytes the client sent
	server  lineSplitter // bytes the server sent
	follows follower
}

// NewTap wraps conn. Every line that crosses it is passed to cfg.Sink.
func NewTap(conn net.Conn, cfg TapConfig) *Tap {
	t := &Tap{Conn: conn, cfg: cfg}
	if cfg.Proto == "POP3" {
		t.follows = &pop3Follower{}
	} else {
		t.follows = &smtpFollower{step: cfg.Step, isRelay: cfg.IsRelay}
	}
	return t
}

// Read reads from the connection and records complete lines.
func (t *Tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if n > 0 {
		t.record(t.cfg.Side == ServerSide, p[:n])
	}
	return n, err
}

// Write records complete lines, then writes them to the connection. The
// Event comes first so that it precedes anything the peer does in answer.
func (t *Tap) Write(p []byte) (int, error) {
	t.record(t.cfg.Side == ClientSide, p)
	return t.Conn.Write(p)
}

func (t *Tap) record(fromClient bool, p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	split := &t.server
	if fromClient {
		split = &t.client
	}
	split.feed(p, func(line string) { t.emit(fromClient, line) })
}

func (t *Tap) emit(fromClient bool, line string) {
	e := Event{Time: time.Now(), Proto: t.cfg.Proto, Line: line, Session: t.cfg.Session}
	if fromClient {
		e.From, e.To = t.cfg.Client, t.cfg.Server
		e.Kind, e.Step = t.follows.clientLine(line)
	} else {
		e.From, e.To = t.cfg.Server, t.cfg.Client
		e.Kind, e.Step = t.follows.serverLine(line)
	}
	if t.cfg.Sink != nil {
		t.cfg.Sink(e)
	}
}

// lineSplitter cuts a byte stream into lines, keeping at most maxShownLine
// bytes of each.
type lineSplitter struct {
	buf     []byte
	dropped int
}

func (s *lineSplitter) feed(p []byte, line func(string)) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = bytes.TrimSuffix(p[:i], []byte("\r"))
		}
		room := maxShownLine - len(s.buf)
		if room > len(chunk) {
			room = len(chunk)
		}
		if room > 0 {
			s.buf = append(s.buf, chunk[:room]...)
		}
		s.dropped += len(chunk) - max(room, 0)
		if i < 0 {
			return
		}
		text := strings.TrimSuffix(string(s.buf), "\r")
		if s.dropped > 0 {
			text += " …(" + strconv.Itoa(s.dropped) + " more octets)"
		}
		line(text)
		s.buf, s.dropped = s.buf[:0], 0
		p = p[i+1:]
	}
}

// follower tracks a protocol's state well enough to tell commands, replies
// and data apart, and which of the six steps a line belongs to.
type follower interface {
	clientLine(line string) (Kind, int)
	serverLine(line string) (Kind, int)
}

// smtpFollower knows that client lines after DATA are message content up to
// the "." line. It enters data mode when the client sends DATA (clients
// such as nc send the content without waiting) and leaves it if the server
// refuses DATA with anything but 354.
type smtpFollower struct {
	step         int
	isRelay      func(string) bool // decides the step at HELO/EHLO, when set
	inData       bool
	awaitingData bool // DATA sent, its reply not seen yet
}

func (f *smtpFollower) clientLine(line string) (Kind, int) {
	if f.inData {
		if line == "." {
			f.inData = false
		}
		return Data, f.step
	}
	if verb, arg, _ := strings.Cut(strings.TrimSpace(line), " "); f.isRelay != nil && (strings.EqualFold(verb, "EHLO") || strings.EqualFold(verb, "HELO")) {
		f.step = 1
		if f.isRelay(strings.TrimSpace(arg)) {
			f.step = 2
		}
	}
	if strings.EqualFold(strings.TrimSpace(line), "DATA") {
		f.inData, f.awaitingData = true, true
	}
	return Command, f.step
}

func (f *smtpFollower) serverLine(line string) (Kind, int) {
	if f.awaitingData && len(line) >= 4 && line[3] == ' ' {
		f.awaitingData = false
		if !strings.HasPrefix(line, "354") {
			f.inData = false
		}
	}
	return Reply, f.step
}

// POP3Step is the six-step number of a POP3 command: every command is the
// client talking to the server about its mailbox (step 4); QUIT ends the
// retrieval (step 6).
func POP3Step(command string) int {
	if strings.EqualFold(firstWord(command), "QUIT") {
		return 6
	}
	return 4
}

// POP3ReplyStep is the step of the answer to a command: the message that
// RETR brings back is step 6 (the server hands the message over), the
// rest belong to their command's step.
func POP3ReplyStep(command string) int {
	if strings.EqualFold(firstWord(command), "RETR") {
		return 6
	}
	return POP3Step(command)
}

// pop3Follower matches each answer to its command (clients may pipeline)
// and knows which answers are multi-line.
type pop3Follower struct {
	greeted bool     // the server's greeting, which answers no command, was seen
	pending []string // commands sent and not yet answered
	inMulti bool     // inside a multi-line answer, up to its "." line
	step    int      // the step of the command being answered
}

func (f *pop3Follower) clientLine(line string) (Kind, int) {
	f.pending = append(f.pending, line)
	return Command, POP3Step(line)
}

func (f *pop3Follower) serverLine(line string) (Kind, int) {
	if f.inMulti {
		if line == "." {
			f.inMulti = false
		}
		return Data, f.step
	}
	if !f.greeted {
		f.greeted, f.step = true, 4
		return Reply, f.step
	}
	var cmd string
	if len(f.pending) > 0 {
		cmd, f.pending = f.pending[0], f.pending[1:]
		f.step = POP3ReplyStep(cmd)
	}
	if strings.HasPrefix(line, "+OK") && POP3MultiLine(cmd) {
		f.inMulti = true
	}
	return Reply, f.step
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
