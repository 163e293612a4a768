package pop3

import (
	"strings"

	"maillab/trace/proto"
)

// Reply is one status line maillab's POP3 server can send: +OK or -ERR,
// an optional response code (RFC 2449 section 8, e.g. "IN-USE") and a
// text. For lists the commands it answers (their verbs), so that two
// replies of the same shape (STAT's "+OK 2 320" and LIST 1's "+OK 1 160")
// are told apart; empty means any command.
type Reply struct {
	Key  proto.Key
	OK   bool
	Code string
	Text string
	For  []string
	// Example is a command it answers, for tests and documentation; ""
	// for the greeting and for lines that answer no particular command.
	Example string
}

// Line renders the status line for args, with control characters replaced.
func (r Reply) Line(args ...any) string {
	line := "-ERR "
	if r.OK {
		line = "+OK "
	}
	if r.Code != "" {
		line += "[" + r.Code + "] "
	}
	return line + proto.Fill(r.Text, args...)
}

// The POP3 server's status lines; All lists them.
var (
	Greeting     = Reply{Key: "pop3.greeting", OK: true, Text: "%s POP3 maillab sandbox ready"}
	Capa         = Reply{Key: "pop3.capa", OK: true, Text: "capability list follows", For: []string{"CAPA"}, Example: "CAPA"}
	UserOK       = Reply{Key: "pop3.user-ok", OK: true, Text: "now send PASS for %s", For: []string{"USER"}, Example: "USER bbb"}
	LoggedIn     = Reply{Key: "pop3.logged-in", OK: true, Text: "%s has %s (%d octets)", For: []string{"PASS"}, Example: "PASS 123456"}
	Stat         = Reply{Key: "pop3.stat", OK: true, Text: "%d %d", For: []string{"STAT"}, Example: "STAT"}
	ListAll      = Reply{Key: "pop3.list-all", OK: true, Text: "%s (%d octets)", For: []string{"LIST"}, Example: "LIST"}
	ListOne      = Reply{Key: "pop3.list-one", OK: true, Text: "%d %d", For: []string{"LIST"}, Example: "LIST 1"}
	Retr         = Reply{Key: "pop3.retr", OK: true, Text: "%d octets", For: []string{"RETR"}, Example: "RETR 1"}
	Top          = Reply{Key: "pop3.top", OK: true, Text: "top of message %d follows", For: []string{"TOP"}, Example: "TOP 1 5"}
	UidlAll      = Reply{Key: "pop3.uidl-all", OK: true, Text: "unique-id listing follows", For: []string{"UIDL"}, Example: "UIDL"}
	UidlOne      = Reply{Key: "pop3.uidl-one", OK: true, Text: "%d %s", For: []string{"UIDL"}, Example: "UIDL 1"}
	Deleted      = Reply{Key: "pop3.deleted", OK: true, Text: "message %d marked for deletion", For: []string{"DELE"}, Example: "DELE 1"}
	Reset        = Reply{Key: "pop3.reset", OK: true, Text: "maildrop has %s (%d octets)", For: []string{"RSET"}, Example: "RSET"}
	Noop         = Reply{Key: "pop3.noop", OK: true, Text: "still here", For: []string{"NOOP"}, Example: "NOOP"}
	Bye          = Reply{Key: "pop3.bye", OK: true, Text: "%s signing off", For: []string{"QUIT"}, Example: "QUIT"}
	ByeUpdate    = Reply{Key: "pop3.bye-update", OK: true, Text: "%s signing off (%s left)", For: []string{"QUIT"}, Example: "QUIT"}
	AuthFailed   = Reply{Key: "pop3.auth-failed", Code: "AUTH", Text: "invalid user name or password", For: []string{"PASS"}, Example: "PASS 654321"}
	AuthBusy     = Reply{Key: "pop3.auth-busy", Code: "SYS/TEMP", Text: "too many failed logins for this account, try again later", For: []string{"PASS"}, Example: "PASS 123456"}
	InUse        = Reply{Key: "pop3.in-use", Code: "IN-USE", Text: "mailbox of %s is in use by another session", For: []string{"PASS"}, Example: "PASS 123456"}
	NeedUser     = Reply{Key: "pop3.need-user", Text: "send USER first", For: []string{"PASS"}, Example: "PASS 123456"}
	NeedLogin    = Reply{Key: "pop3.need-login", Text: "log in first with USER and PASS", Example: "STAT"}
	LoggedInAlr  = Reply{Key: "pop3.already-logged-in", Text: "already logged in", Example: "USER bbb"}
	NoSuchMsg    = Reply{Key: "pop3.no-such-message", Text: "no such message, only %d in the maildrop", Example: "RETR 9"}
	MsgDeleted   = Reply{Key: "pop3.message-deleted", Text: "message %d already deleted", Example: "RETR 1"}
	BadArgs      = Reply{Key: "pop3.syntax", Text: "syntax: %s", Example: "LIST x"}
	Unknown      = Reply{Key: "pop3.unknown-command", Text: "unknown command: %s", Example: "HELLO"}
	NotSupported = Reply{Key: "pop3.not-supported", Text: "%s not supported here, use USER and PASS", Example: "APOP bbb x"}
	LineTooLong  = Reply{Key: "pop3.line-too-long", Text: "line too long (at most 255 octets)"}
	TooManyErrs  = Reply{Key: "pop3.too-many-errors", Text: "too many errors, closing connection"}
	Idle         = Reply{Key: "pop3.idle", Text: "idle too long, closing connection (nothing deleted)"}
	Shutdown     = Reply{Key: "pop3.shutdown", Code: "SYS/TEMP", Text: "server shutting down, nothing deleted"}
	AccountBusy  = Reply{Key: "pop3.account-busy", Code: "SYS/TEMP", Text: "too many sessions of this account, close some first", For: []string{"PASS"}, Example: "PASS 123456"}
	AddressBusy  = Reply{Key: "pop3.address-busy", Code: "SYS/TEMP", Text: "too many connections from your address, close some first"}
	Busy         = Reply{Key: "pop3.busy", Code: "SYS/TEMP", Text: "too many connections, try again later"}
	SysError     = Reply{Key: "pop3.sys-error", Code: "SYS/TEMP", Text: "mailbox error: %s", Example: "RETR 1"}

	// TLS (RFC 2595).
	STLS       = Reply{Key: "pop3.stls", OK: true, Text: "begin TLS negotiation", For: []string{"STLS"}, Example: "STLS"}
	NeedTLS    = Reply{Key: "pop3.need-tls", Code: "AUTH", Text: "plaintext login refused: send STLS first", For: []string{"USER", "PASS"}, Example: "USER bbb"}
	NoTLS      = Reply{Key: "pop3.no-tls", Text: "STLS not available here", For: []string{"STLS"}, Example: "STLS"}
	AlreadyTLS = Reply{Key: "pop3.already-tls", Text: "TLS is on already", For: []string{"STLS"}, Example: "STLS"}
	STLSLate   = Reply{Key: "pop3.stls-late", Text: "STLS only before login", For: []string{"STLS"}, Example: "STLS"}
)

// All is every status line the POP3 server can send.
var All = []Reply{
	Greeting, Capa, UserOK, LoggedIn, Stat, ListAll,
	ListOne, Retr, Top, UidlAll, UidlOne, Deleted,
	Reset, Noop, Bye, ByeUpdate, AuthFailed, AuthBusy, InUse,
	NeedUser, NeedLogin, LoggedInAlr, NoSuchMsg,
	MsgDeleted, BadArgs, Unknown, NotSupported,
	LineTooLong, TooManyErrs, Idle, Shutdown, Busy, AddressBusy, AccountBusy,
	SysError, STLS, NeedTLS, NoTLS, AlreadyTLS, STLSLate,
}

type matcher struct {
	Reply
	pattern proto.Glob
}

var index = func() []matcher {
	m := make([]matcher, len(All))
	for i, r := range All {
		m[i] = matcher{r, proto.Pattern(r.Text)}
	}
	return m
}()

// Identify returns the key of a status line answering command ("" for
// the greeting, which answers none), or "" when it is no line of this
// catalogue.
func Identify(line, command string) proto.Key {
	ok, code, text, valid := splitStatus(line)
	if !valid {
		return ""
	}
	verb := strings.ToUpper(firstWord(command))
	for _, m := range index {
		if m.OK != ok || m.Code != code || !answers(m.Reply, verb, command) {
			continue
		}
		if m.pattern.MatchString(text) {
			return m.Key
		}
	}
	return ""
}

// answers reports whether r can answer a command with this verb. The
// greeting answers no command; LIST and UIDL answer with one line when
// given a message number and with a list when not.
func answers(r Reply, verb, command string) bool {
	if r.Key == Greeting.Key {
		return command == ""
	}
	if len(r.For) == 0 || verb == "" {
		return true
	}
	for _, v := range r.For {
		if v == verb {
			withArg := strings.Contains(strings.TrimSpace(command), " ")
			switch r.Key {
			case ListOne.Key, UidlOne.Key:
				return withArg
			case ListAll.Key, UidlAll.Key:
				return !withArg
			}
			return true
		}
	}
	return false
}

// splitStatus cuts "-ERR [IN-USE] text" into its parts.
func splitStatus(line string) (ok bool, code, text string, valid bool) {
	switch {
	case strings.HasPrefix(line, "+OK"):
		ok, text = true, line[3:]
	case strings.HasPrefix(line, "-ERR"):
		text = line[4:]
	default:
		return false, "", "", false
	}
	text = strings.TrimPrefix(text, " ")
	if strings.HasPrefix(text, "[") {
		if end := strings.IndexByte(text, ']'); end > 0 {
			code, text = text[1:end], strings.TrimPrefix(text[end+1:], " ")
		}
	}
	return ok, code, text, true
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return w
}

// Known reports whether key names a reply of this catalogue.
func Known(key proto.Key) bool {
	for _, r := range All {
		if r.Key == key {
			return true
		}
	}
	return false
}
