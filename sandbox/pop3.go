package sandbox

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"

	"maillab/trace"
)

// maxPOP3Line is the longest POP3 command line, without CRLF (RFC 2449
// section 4: 255 octets with it).
const maxPOP3Line = 253

// POP3Reply is one status line the POP3 server can send: +OK or -ERR, an
// optional response code (RFC 2449 section 8, e.g. "IN-USE") and a text.
type POP3Reply struct {
	OK      bool
	Code    string
	Text    string
	Answers string // an example of the command it answers; "" for the greeting or for any command
}

// Line renders the reply line for the given arguments, with control
// characters in them replaced (no reply injection).
func (r POP3Reply) Line(args ...any) string {
	line := "-ERR "
	if r.OK {
		line = "+OK "
	}
	if r.Code != "" {
		line += "[" + r.Code + "] "
	}
	return line + formatReply(r.Text, args...)
}

// The POP3 server's replies; POP3Replies lists them all.
var (
	popGreeting     = POP3Reply{true, "", "%s POP3 maillab sandbox ready", ""}
	popCapa         = POP3Reply{true, "", "capability list follows", "CAPA"}
	popUserOK       = POP3Reply{true, "", "now send PASS for %s", "USER bbb"}
	popLoggedIn     = POP3Reply{true, "", "%s has %s (%d octets)", "PASS 123456"}
	popStat         = POP3Reply{true, "", "%d %d", "STAT"}
	popListAll      = POP3Reply{true, "", "%s (%d octets)", "LIST"}
	popListOne      = POP3Reply{true, "", "%d %d", "LIST 1"}
	popRetr         = POP3Reply{true, "", "%d octets", "RETR 1"}
	popTop          = POP3Reply{true, "", "top of message %d follows", "TOP 1 5"}
	popUidlAll      = POP3Reply{true, "", "unique-id listing follows", "UIDL"}
	popUidlOne      = POP3Reply{true, "", "%d %s", "UIDL 1"}
	popDeleted      = POP3Reply{true, "", "message %d marked for deletion", "DELE 1"}
	popReset        = POP3Reply{true, "", "maildrop has %s (%d octets)", "RSET"}
	popNoop         = POP3Reply{true, "", "still here", "NOOP"}
	popBye          = POP3Reply{true, "", "%s signing off", "QUIT"}
	popByeUpdate    = POP3Reply{true, "", "%s signing off (%s left)", "QUIT"}
	popAuthFailed   = POP3Reply{false, "AUTH", "invalid user name or password", "PASS 654321"}
	popInUse        = POP3Reply{false, "IN-USE", "mailbox of %s is in use by another session", "PASS 123456"}
	popNeedUser     = POP3Reply{false, "", "send USER first", "PASS 123456"}
	popNeedLogin    = POP3Reply{false, "", "log in first with USER and PASS", "STAT"}
	popLoggedInAlr  = POP3Reply{false, "", "already logged in", "USER bbb"}
	popNoSuchMsg    = POP3Reply{false, "", "no such message, only %d in the maildrop", "RETR 9"}
	popMsgDeleted   = POP3Reply{false, "", "message %d already deleted", "RETR 1"}
	popBadArgs      = POP3Reply{false, "", "syntax: %s", "LIST x"}
	popUnknown      = POP3Reply{false, "", "unknown command: %s", "HELLO"}
	popNotSupported = POP3Reply{false, "", "%s not supported here, use USER and PASS", "APOP bbb x"}
	popLineTooLong  = POP3Reply{false, "", "line too long (at most 255 octets)", ""}
	popTooManyErrs  = POP3Reply{false, "", "too many errors, closing connection", ""}
	popIdle         = POP3Reply{false, "", "idle too long, closing connection (nothing deleted)", ""}
	popShutdown     = POP3Reply{false, "SYS/TEMP", "server shutting down, nothing deleted", ""}
	popBusy         = POP3Reply{false, "SYS/TEMP", "too many connections, try again later", ""}
	popSysError     = POP3Reply{false, "SYS/TEMP", "mailbox error: %s", "RETR 1"}
)

// POP3Replies is every status line the POP3 server can send.
var POP3Replies = []POP3Reply{
	popGreeting, popCapa, popUserOK, popLoggedIn, popStat, popListAll,
	popListOne, popRetr, popTop, popUidlAll, popUidlOne, popDeleted,
	popReset, popNoop, popBye, popByeUpdate, popAuthFailed, popInUse,
	popNeedUser, popNeedLogin, popLoggedInAlr, popNoSuchMsg, popMsgDeleted,
	popBadArgs, popUnknown, popNotSupported, popLineTooLong, popTooManyErrs,
	popIdle, popShutdown, popBusy, popSysError,
}

// pop3Capabilities is the CAPA answer (RFC 2449).
var pop3Capabilities = []string{"USER", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "IMPLEMENTATION maillab"}

// pop3Session is one client's connection to a provider's POP3 server.
type pop3Session struct {
	sb   *Sandbox
	p    *Provider
	conn net.Conn
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

func (sb *Sandbox) newPOP3Session(p *Provider, conn net.Conn, label string) *pop3Session {
	s := &pop3Session{sb: sb, p: p, conn: conn}
	if sb.cfg.TapServers && sb.Events.Active() {
		conn = trace.NewTap(conn, trace.TapConfig{
			Side: trace.ServerSide, Proto: "POP3",
			Client: conn.RemoteAddr().String(), Server: p.POP3Host,
			Session: label, Sink: sb.Events.Publish,
		})
	}
	s.in = newLineReader(conn, 2*sb.cfg.IdleTimeout, &sb.closing)
	s.out = textproto.NewWriter(bufio.NewWriter(conn))
	return s
}

// serve runs the session until QUIT, a dropped connection or shutdown.
// Deletions happen only after QUIT (the UPDATE state).
func (s *pop3Session) serve() {
	defer s.conn.Close()
	defer s.release()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "maillab: pop3 session panic: %v\n", r)
			s.reply(popSysError, "internal error")
		}
	}()
	s.reply(popGreeting, s.p.POP3Host)
	for !s.quit {
		line, err := s.in.readLine(maxPOP3Line)
		switch {
		case errors.Is(err, errLineTooLong):
			s.fail(popLineTooLong)
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
		s.sb.internal(s.p.POP3Host, s.owner.String()+"'s mailbox", 0,
			fmt.Sprintf("the session ended without QUIT: nothing deleted, %s's mailbox unlocked", s.owner), "")
	}
}

func (s *pop3Session) readError(err error) {
	switch {
	case s.sb.closing.Load():
		s.reply(popShutdown)
	case isTimeout(err):
		s.reply(popIdle)
	}
}

func (s *pop3Session) reply(r POP3Reply, args ...any) {
	s.out.W.WriteString(r.Line(args...) + "\r\n")
	s.out.W.Flush()
}

// fail sends an -ERR and closes the session after too many.
func (s *pop3Session) fail(r POP3Reply, args ...any) {
	s.reply(r, args...)
	s.badCmds++
	if s.badCmds >= maxBadCommands {
		s.reply(popTooManyErrs)
		s.quit = true
	}
}

// multiLine sends a +OK line and then body, dot-stuffed, ending with ".".
func (s *pop3Session) multiLine(r POP3Reply, args []any, body []byte) {
	s.out.W.WriteString(r.Line(args...) + "\r\n")
	dw := s.out.DotWriter()
	dw.Write(body)
	dw.Close()
}

func (s *pop3Session) handle(line string) {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	verb = strings.ToUpper(verb)
	arg = strings.TrimSpace(arg)
	switch verb {
	case "CAPA":
		s.multiLine(popCapa, nil, []byte(strings.Join(pop3Capabilities, "\r\n")+"\r\n"))
		return
	case "QUIT":
		s.quitSession()
		return
	case "NOOP":
		if s.owner != nil {
			s.reply(popNoop)
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
	case "USER":
		if arg == "" {
			s.fail(popBadArgs, "USER name")
			return
		}
		s.user = arg
		s.reply(popUserOK, arg)
	case "PASS":
		s.pass(arg)
	case "APOP", "AUTH", "STLS":
		s.fail(popNotSupported, verb)
	case "STAT", "LIST", "RETR", "TOP", "UIDL", "DELE", "RSET", "NOOP":
		s.fail(popNeedLogin)
	default:
		s.fail(popUnknown, printable(verb, 20))
	}
}

// pass checks the password, locks the mailbox and takes its listing.
func (s *pop3Session) pass(password string) {
	if s.user == "" {
		s.fail(popNeedUser)
		return
	}
	addr, ok := s.p.Login(s.user, password)
	s.user = ""
	if !ok {
		s.fail(popAuthFailed)
		return
	}
	unlock, ok := s.sb.locks.tryLock(addr)
	if !ok {
		s.reply(popInUse, addr)
		return
	}
	msgs, err := s.sb.store.List(addr)
	if err != nil {
		unlock()
		s.reply(popSysError, err.Error())
		return
	}
	s.owner, s.unlock, s.msgs, s.deleted = &addr, unlock, msgs, make([]bool, len(msgs))
	n, size := s.totals()
	s.sb.internal(s.p.POP3Host, addr.String()+"'s mailbox", 4, fmt.Sprintf("opened and locked %s's mailbox: %s, %d octets", addr, messages(n), size), "")
	s.reply(popLoggedIn, addr, messages(n), size)
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
		s.reply(popStat, n, size)
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
			s.reply(popDeleted, i+1)
		}
	case "RSET":
		clear(s.deleted)
		n, size := s.totals()
		s.reply(popReset, messages(n), size)
	case "USER", "PASS", "APOP", "AUTH":
		s.fail(popLoggedInAlr)
	default:
		s.fail(popUnknown, printable(verb, 20))
	}
}

// message parses a message number and checks it is there and not deleted.
// It answers the client when not, and returns the index into s.msgs.
func (s *pop3Session) message(arg, syntax string) (int, bool) {
	n, err := strconv.Atoi(arg)
	switch {
	case err != nil:
		s.fail(popBadArgs, syntax)
	case n < 1 || n > len(s.msgs):
		s.fail(popNoSuchMsg, len(s.msgs))
	case s.deleted[n-1]:
		s.fail(popMsgDeleted, n)
	default:
		return n - 1, true
	}
	return 0, false
}

func (s *pop3Session) list(arg string) {
	if arg != "" {
		if i, ok := s.message(arg, "LIST [msg]"); ok {
			s.reply(popListOne, i+1, s.msgs[i].Size)
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
	s.multiLine(popListAll, []any{messages(n), size}, b.Bytes())
}

func (s *pop3Session) uidl(arg string) {
	if arg != "" {
		if i, ok := s.message(arg, "UIDL [msg]"); ok {
			s.reply(popUidlOne, i+1, uidl(s.msgs[i].ID))
		}
		return
	}
	var b bytes.Buffer
	for i, m := range s.msgs {
		if !s.deleted[i] {
			fmt.Fprintf(&b, "%d %s\r\n", i+1, uidl(m.ID))
		}
	}
	s.multiLine(popUidlAll, nil, b.Bytes())
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
		s.reply(popSysError, err.Error())
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
	s.sb.internal(s.p.POP3Host, s.owner.String()+"'s mailbox", 5, fmt.Sprintf("read message %d (%s, %d octets) from %s's mailbox", i+1, s.msgs[i].ID, len(data), s.owner), messageRef(data))
	s.multiLine(popRetr, []any{len(data)}, data)
}

// top sends the header and the first n lines of the body (RFC 1939 TOP).
func (s *pop3Session) top(arg string) {
	num, lines, _ := strings.Cut(arg, " ")
	n, err := strconv.Atoi(strings.TrimSpace(lines))
	if err != nil || n < 0 {
		s.fail(popBadArgs, "TOP msg n")
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
	s.multiLine(popTop, []any{i + 1}, topOf(data, n))
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
		s.reply(popBye, s.p.POP3Host)
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
		s.reply(popSysError, err.Error())
		return
	}
	if len(gone) > 0 {
		s.sb.internal(s.p.POP3Host, s.owner.String()+"'s mailbox", 6, fmt.Sprintf("deleted %d messages from %s's mailbox", len(gone), s.owner), "")
	}
	n, _ := s.totals()
	s.reply(popByeUpdate, s.p.POP3Host, messages(n))
}

// messages says "1 message" or "2 messages".
func messages(n int) string {
	if n == 1 {
		return "1 message"
	}
	return strconv.Itoa(n) + " messages"
}
