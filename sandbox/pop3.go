package sandbox

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"maillab/trace"
	"maillab/trace/proto/pop3"
)

// maxPOP3Line is the longest POP3 command line, without CRLF (RFC 2449
// section 4: 255 octets with it).
const maxPOP3Line = 253

// pop3Capabilities is the CAPA answer (RFC 2449) without USER and STLS,
// which depend on the connection.
var pop3Capabilities = []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION maillab"}

// capabilities is this session's CAPA answer: USER unless logins wait
// for TLS (a server that leaves USER out forbids it, RFC 2449 section
// 6.1), and STLS while the connection is plain and TLS is at hand (RFC
// 2595).
func (s *pop3Session) capabilities() []string {
	var caps []string
	if s.link.secure || !s.sb.cfg.RequireTLS {
		caps = append(caps, "USER")
	}
	caps = append(caps, pop3Capabilities...)
	if s.sb.certs != nil && !s.link.secure {
		caps = append(caps, "STLS")
	}
	return caps
}

// pop3Session is one client's connection to a provider's POP3 server.
type pop3Session struct {
	sb   *Sandbox
	p    *Provider
	link *link
	in   *lineReader
	out  *textproto.Writer

	user    string        // name given with USER
	owner   *Address      // logged-in mailbox, nil in the AUTHORIZATION state
	unlock  func()        // releases the mailbox lock
	msgs    []MessageInfo // the maildrop as it was at login
	deleted []bool
	badCmds int
	quit    bool
}

func (sb *Sandbox) newPOP3Session(p *Provider, l *link) *pop3Session {
	s := &pop3Session{sb: sb, p: p, link: l}
	s.attach()
	return s
}

// attach reads and writes through the link's connection (again, after STLS).
func (s *pop3Session) attach() {
	s.in = newLineReader(s.link.conn, func() time.Duration { return s.link.seat.idleTimeout(2*s.sb.cfg.IdleTimeout, s.owner != nil) }, &s.sb.closing)
	s.out = textproto.NewWriter(bufio.NewWriter(s.link.conn))
}

// serve runs the session until QUIT, a dropped connection or shutdown.
// Deletions happen only after QUIT (the UPDATE state).
func (s *pop3Session) serve() {
	defer s.link.close()
	defer s.release()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "maillab: pop3 session panic: %v\n", r)
			s.reply(pop3.SysError, "internal error")
		}
	}()
	s.reply(pop3.Greeting, s.p.POP3Host())
	for !s.quit {
		line, err := s.in.readLine(maxPOP3Line)
		switch {
		case errors.Is(err, errLineTooLong):
			s.fail(pop3.LineTooLong)
		case err != nil:
			s.readError(err)
			return
		default:
			s.handle(string(line))
		}
	}
}

// release unlocks the mailbox when the session ends. A session that ends
// without QUIT never reaches the UPDATE state, so nothing it marked is
// deleted (RFC 1939 section 6); the sandbox says so.
func (s *pop3Session) release() {
	if s.unlock == nil {
		return
	}
	s.unlock()
	if !s.quit {
		s.sb.emit(trace.Event{From: s.p.POP3Host(), To: s.owner.String(), ToRole: trace.RoleMailbox, Action: trace.Abandoned,
			Facts: &trace.Facts{Mailbox: s.owner.String()}})
	}
}

func (s *pop3Session) readError(err error) {
	switch {
	case s.sb.closing.Load():
		s.reply(pop3.Shutdown)
	case isTimeout(err):
		s.reply(pop3.Idle)
	}
}

// reply sends a status line; the tap is told which it is.
func (s *pop3Session) reply(r pop3.Reply, args ...any) {
	s.link.replying(r.Key)
	s.out.W.WriteString(r.Line(args...) + "\r\n")
	s.out.W.Flush()
}

// fail sends an -ERR and closes the session after too many.
func (s *pop3Session) fail(r pop3.Reply, args ...any) {
	s.reply(r, args...)
	s.badCmds++
	if s.badCmds >= maxBadCommands {
		s.reply(pop3.TooManyErrs)
		s.quit = true
	}
}

// multiLine sends a +OK line, then body (CRLF lines) dot-stuffed, then
// ".": one line per item and nothing else, so an empty list is the status
// line and "." alone (RFC 1939 section 3).
func (s *pop3Session) multiLine(r pop3.Reply, args []any, body []byte) {
	s.link.replying(r.Key)
	w := s.out.W
	w.WriteString(r.Line(args...) + "\r\n")
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line = body[:i+1]
		}
		body = body[len(line):]
		if line[0] == '.' {
			w.WriteByte('.')
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		w.Write(line) // a bare LF (a file another program wrote) goes out as CRLF
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
	w.Flush()
}

func (s *pop3Session) handle(line string) {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	verb = strings.ToUpper(verb)
	arg = strings.TrimSpace(arg)
	switch verb {
	case "CAPA":
		s.multiLine(pop3.Capa, nil, []byte(strings.Join(s.capabilities(), "\r\n")+"\r\n"))
		return
	case "QUIT":
		s.quitSession()
		return
	case "NOOP":
		if s.owner != nil {
			s.reply(pop3.Noop)
			return
		}
	}
	if s.owner == nil {
		s.authorization(verb, arg)
		return
	}
	s.transaction(verb, arg)
}

// authorization handles the commands allowed before login.
func (s *pop3Session) authorization(verb, arg string) {
	switch verb {
	case "USER", "PASS":
		if s.sb.cfg.RequireTLS && !s.link.secure {
			s.fail(pop3.NeedTLS)
			return
		}
		if verb == "PASS" {
			s.pass(arg)
			return
		}
		if arg == "" {
			s.fail(pop3.BadArgs, "USER name")
			return
		}
		s.user = arg
		s.reply(pop3.UserOK, arg)
	case "STLS":
		s.stls()
	case "APOP", "AUTH":
		s.fail(pop3.NotSupported, verb)
	case "STAT", "LIST", "RETR", "TOP", "UIDL", "DELE", "RSET", "NOOP":
		s.fail(pop3.NeedLogin)
	default:
		s.fail(pop3.Unknown, printable(verb, 20))
	}
}

// pass checks the password, locks the mailbox and takes its listing.
func (s *pop3Session) pass(password string) {
	if s.user == "" {
		s.fail(pop3.NeedUser)
		return
	}
	var addr Address
	result := s.sb.attempt(s.link.raw.RemoteAddr(), s.p, s.user, func() (ok bool) {
		addr, ok = s.p.Login(s.user, password)
		return ok
	})
	s.user = ""
	switch result {
	case loginBusy:
		s.fail(pop3.AuthBusy)
		return
	case loginFailed:
		s.fail(pop3.AuthFailed)
		return
	}
	if !s.link.seat.loggedIn(addr) {
		s.fail(pop3.AccountBusy)
		return
	}
	unlock, ok := s.sb.locks.lock(addr, lockWait)
	if !ok {
		s.reply(pop3.InUse, addr)
		return
	}
	msgs, err := s.sb.store.List(addr)
	if err != nil {
		unlock()
		s.reply(pop3.SysError, err.Error())
		return
	}
	s.owner, s.unlock, s.msgs, s.deleted = &addr, unlock, msgs, make([]bool, len(msgs))
	s.link.loggedIn(addr)
	s.link.setMailbox(addr, msgs)
	n, size := s.totals()
	s.sb.emit(trace.Event{From: s.p.POP3Host(), To: addr.String(), ToRole: trace.RoleMailbox, Action: trace.MailboxOpened,
		Facts: &trace.Facts{Mailbox: addr.String(), Count: n, Size: size}})
	s.reply(pop3.LoggedIn, addr, messages(n), size)
}

// totals counts the messages not marked as deleted and their octets.
func (s *pop3Session) totals() (n int, size int64) {
	for i, m := range s.msgs {
		if !s.deleted[i] {
			n++
			size += m.Size
		}
	}
	return n, size
}

// transaction handles the commands of the TRANSACTION state.
func (s *pop3Session) transaction(verb, arg string) {
	switch verb {
	case "STAT":
		n, size := s.totals()
		s.reply(pop3.Stat, n, size)
	case "LIST":
		s.list(arg)
	case "UIDL":
		s.uidl(arg)
	case "RETR":
		s.retr(arg)
	case "TOP":
		s.top(arg)
	case "DELE":
		if i, ok := s.message(arg, "DELE msg"); ok {
			s.deleted[i] = true
			s.reply(pop3.Deleted, i+1)
		}
	case "RSET":
		clear(s.deleted)
		n, size := s.totals()
		s.reply(pop3.Reset, messages(n), size)
	case "USER", "PASS", "APOP", "AUTH":
		s.fail(pop3.LoggedInAlr)
	case "STLS":
		s.fail(pop3.STLSLate)
	default:
		s.fail(pop3.Unknown, printable(verb, 20))
	}
}

// message parses a message number and checks it is there and not deleted.
// It answers the client when not, and returns the index into s.msgs.
func (s *pop3Session) message(arg, syntax string) (int, bool) {
	n, err := strconv.Atoi(arg)
	switch {
	case err != nil:
		s.fail(pop3.BadArgs, syntax)
	case n < 1 || n > len(s.msgs):
		s.fail(pop3.NoSuchMsg, len(s.msgs))
	case s.deleted[n-1]:
		s.fail(pop3.MsgDeleted, n)
	default:
		return n - 1, true
	}
	return 0, false
}

func (s *pop3Session) list(arg string) {
	if arg != "" {
		if i, ok := s.message(arg, "LIST [msg]"); ok {
			s.reply(pop3.ListOne, i+1, s.msgs[i].Size)
		}
		return
	}
	var b bytes.Buffer
	for i, m := range s.msgs {
		if !s.deleted[i] {
			fmt.Fprintf(&b, "%d %d\r\n", i+1, m.Size)
		}
	}
	n, size := s.totals()
	s.multiLine(pop3.ListAll, []any{messages(n), size}, b.Bytes())
}

func (s *pop3Session) uidl(arg string) {
	if arg != "" {
		if i, ok := s.message(arg, "UIDL [msg]"); ok {
			s.reply(pop3.UidlOne, i+1, uidl(s.msgs[i].ID))
		}
		return
	}
	var b bytes.Buffer
	for i, m := range s.msgs {
		if !s.deleted[i] {
			fmt.Fprintf(&b, "%d %s\r\n", i+1, uidl(m.ID))
		}
	}
	s.multiLine(pop3.UidlAll, nil, b.Bytes())
}

// uidl is a message's unique-id as RFC 1939 allows it: 1 to 70
// characters from 0x21 to 0x7E. A store id that is not one (a long Maildir
// key, say) is replaced by its SHA-1, which is just as stable.
func uidl(id string) string {
	ok := len(id) >= 1 && len(id) <= 70
	for i := 0; ok && i < len(id); i++ {
		ok = id[i] >= 0x21 && id[i] <= 0x7e
	}
	if ok {
		return id
	}
	sum := sha1.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

// read fetches message i from the store.
func (s *pop3Session) read(i int) ([]byte, bool) {
	data, err := s.sb.store.Read(*s.owner, s.msgs[i].ID)
	if err != nil {
		s.reply(pop3.SysError, err.Error())
		return nil, false
	}
	return data, true
}

func (s *pop3Session) retr(arg string) {
	i, ok := s.message(arg, "RETR msg")
	if !ok {
		return
	}
	data, ok := s.read(i)
	if !ok {
		return
	}
	m := s.msgs[i]
	s.sb.emit(trace.Event{From: s.p.POP3Host(), To: s.owner.String(), ToRole: trace.RoleMailbox, Action: trace.MessageRead,
		Message: m.Journey, BounceOf: m.BounceOf, Recipient: s.owner.String(),
		Facts: &trace.Facts{Mailbox: s.owner.String(), Number: i + 1, StoreID: m.ID, Size: int64(len(data))}})
	s.multiLine(pop3.Retr, []any{len(data)}, data)
}

// top sends the header and the first n lines of the body (RFC 1939 TOP).
func (s *pop3Session) top(arg string) {
	num, lines, _ := strings.Cut(arg, " ")
	n, err := strconv.Atoi(strings.TrimSpace(lines))
	if err != nil || n < 0 {
		s.fail(pop3.BadArgs, "TOP msg n")
		return
	}
	i, ok := s.message(num, "TOP msg n")
	if !ok {
		return
	}
	data, ok := s.read(i)
	if !ok {
		return
	}
	s.multiLine(pop3.Top, []any{i + 1}, topOf(data, n))
}

// topOf returns the header section, the blank line and n body lines.
func topOf(msg []byte, n int) []byte {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		return msg
	}
	end += 4
	for body := msg[end:]; n > 0 && len(body) > 0; n-- {
		i := bytes.Index(body, []byte("\r\n"))
		if i < 0 {
			return msg
		}
		end += i + 2
		body = body[i+2:]
	}
	return msg[:end]
}

// quitSession ends the session; after login it first deletes the marked
// messages (the UPDATE state).
func (s *pop3Session) quitSession() {
	s.quit = true
	if s.owner == nil {
		s.reply(pop3.Bye, s.p.POP3Host())
		return
	}
	var gone []string
	for i, m := range s.msgs {
		if s.deleted[i] {
			gone = append(gone, m.ID)
		}
	}
	err := s.sb.store.Delete(*s.owner, gone)
	// The lock goes before the answer, so a client that reconnects as
	// soon as it reads +OK finds the mailbox free.
	s.unlock()
	s.unlock = nil
	if err != nil {
		s.reply(pop3.SysError, err.Error())
		return
	}
	if len(gone) > 0 {
		s.sb.emit(trace.Event{From: s.p.POP3Host(), To: s.owner.String(), ToRole: trace.RoleMailbox, Action: trace.Deleted,
			Facts: &trace.Facts{Mailbox: s.owner.String(), Count: len(gone)}})
	}
	n, _ := s.totals()
	s.reply(pop3.ByeUpdate, s.p.POP3Host(), messages(n))
}

// messages says "1 message" or "2 messages".
func messages(n int) string {
	if n == 1 {
		return "1 message"
	}
	return strconv.Itoa(n) + " messages"
}
