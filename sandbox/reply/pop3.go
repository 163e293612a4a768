package reply

import "strings"

// The POP3 server's status lines; AllPOP3 lists them.
var (
	POP3Greeting     = POP3{Key: "pop3.greeting", OK: true, Text: "%s POP3 maillab sandbox ready"}
	POP3Capa         = POP3{Key: "pop3.capa", OK: true, Text: "capability list follows", For: []string{"CAPA"}, Example: "CAPA"}
	POP3UserOK       = POP3{Key: "pop3.user-ok", OK: true, Text: "now send PASS for %s", For: []string{"USER"}, Example: "USER bbb"}
	POP3LoggedIn     = POP3{Key: "pop3.logged-in", OK: true, Text: "%s has %s (%d octets)", For: []string{"PASS"}, Example: "PASS 123456"}
	POP3Stat         = POP3{Key: "pop3.stat", OK: true, Text: "%d %d", For: []string{"STAT"}, Example: "STAT"}
	POP3ListAll      = POP3{Key: "pop3.list-all", OK: true, Text: "%s (%d octets)", For: []string{"LIST"}, Example: "LIST"}
	POP3ListOne      = POP3{Key: "pop3.list-one", OK: true, Text: "%d %d", For: []string{"LIST"}, Example: "LIST 1"}
	POP3Retr         = POP3{Key: "pop3.retr", OK: true, Text: "%d octets", For: []string{"RETR"}, Example: "RETR 1"}
	POP3Top          = POP3{Key: "pop3.top", OK: true, Text: "top of message %d follows", For: []string{"TOP"}, Example: "TOP 1 5"}
	POP3UidlAll      = POP3{Key: "pop3.uidl-all", OK: true, Text: "unique-id listing follows", For: []string{"UIDL"}, Example: "UIDL"}
	POP3UidlOne      = POP3{Key: "pop3.uidl-one", OK: true, Text: "%d %s", For: []string{"UIDL"}, Example: "UIDL 1"}
	POP3Deleted      = POP3{Key: "pop3.deleted", OK: true, Text: "message %d marked for deletion", For: []string{"DELE"}, Example: "DELE 1"}
	POP3Reset        = POP3{Key: "pop3.reset", OK: true, Text: "maildrop has %s (%d octets)", For: []string{"RSET"}, Example: "RSET"}
	POP3Noop         = POP3{Key: "pop3.noop", OK: true, Text: "still here", For: []string{"NOOP"}, Example: "NOOP"}
	POP3Bye          = POP3{Key: "pop3.bye", OK: true, Text: "%s signing off", For: []string{"QUIT"}, Example: "QUIT"}
	POP3ByeUpdate    = POP3{Key: "pop3.bye-update", OK: true, Text: "%s signing off (%s left)", For: []string{"QUIT"}, Example: "QUIT"}
	POP3AuthFailed   = POP3{Key: "pop3.auth-failed", Code: "AUTH", Text: "invalid user name or password", For: []string{"PASS"}, Example: "PASS 654321"}
	POP3InUse        = POP3{Key: "pop3.in-use", Code: "IN-USE", Text: "mailbox of %s is in use by another session", For: []string{"PASS"}, Example: "PASS 123456"}
	POP3NeedUser     = POP3{Key: "pop3.need-user", Text: "send USER first", For: []string{"PASS"}, Example: "PASS 123456"}
	POP3NeedLogin    = POP3{Key: "pop3.need-login", Text: "log in first with USER and PASS", Example: "STAT"}
	POP3LoggedInAlr  = POP3{Key: "pop3.already-logged-in", Text: "already logged in", Example: "USER bbb"}
	POP3NoSuchMsg    = POP3{Key: "pop3.no-such-message", Text: "no such message, only %d in the maildrop", Example: "RETR 9"}
	POP3MsgDeleted   = POP3{Key: "pop3.message-deleted", Text: "message %d already deleted", Example: "RETR 1"}
	POP3BadArgs      = POP3{Key: "pop3.syntax", Text: "syntax: %s", Example: "LIST x"}
	POP3Unknown      = POP3{Key: "pop3.unknown-command", Text: "unknown command: %s", Example: "HELLO"}
	POP3NotSupported = POP3{Key: "pop3.not-supported", Text: "%s not supported here, use USER and PASS", Example: "APOP bbb x"}
	POP3LineTooLong  = POP3{Key: "pop3.line-too-long", Text: "line too long (at most 255 octets)"}
	POP3TooManyErrs  = POP3{Key: "pop3.too-many-errors", Text: "too many errors, closing connection"}
	POP3Idle         = POP3{Key: "pop3.idle", Text: "idle too long, closing connection (nothing deleted)"}
	POP3Shutdown     = POP3{Key: "pop3.shutdown", Code: "SYS/TEMP", Text: "server shutting down, nothing deleted"}
	POP3Busy         = POP3{Key: "pop3.busy", Code: "SYS/TEMP", Text: "too many connections, try again later"}
	POP3SysError     = POP3{Key: "pop3.sys-error", Code: "SYS/TEMP", Text: "mailbox error: %s", Example: "RETR 1"}

	// TLS (RFC 2595).
	POP3STLS       = POP3{Key: "pop3.stls", OK: true, Text: "begin TLS negotiation", For: []string{"STLS"}, Example: "STLS"}
	POP3NeedTLS    = POP3{Key: "pop3.need-tls", Code: "AUTH", Text: "plaintext login refused: send STLS first", For: []string{"USER", "PASS"}, Example: "USER bbb"}
	POP3NoTLS      = POP3{Key: "pop3.no-tls", Text: "STLS not available here", For: []string{"STLS"}, Example: "STLS"}
	POP3AlreadyTLS = POP3{Key: "pop3.already-tls", Text: "TLS is on already", For: []string{"STLS"}, Example: "STLS"}
	POP3STLSLate   = POP3{Key: "pop3.stls-late", Text: "STLS only before login", For: []string{"STLS"}, Example: "STLS"}
)

// AllPOP3 is every status line the POP3 server can send.
var AllPOP3 = []POP3{
	POP3Greeting, POP3Capa, POP3UserOK, POP3LoggedIn, POP3Stat, POP3ListAll,
	POP3ListOne, POP3Retr, POP3Top, POP3UidlAll, POP3UidlOne, POP3Deleted,
	POP3Reset, POP3Noop, POP3Bye, POP3ByeUpdate, POP3AuthFailed, POP3InUse,
	POP3NeedUser, POP3NeedLogin, POP3LoggedInAlr, POP3NoSuchMsg,
	POP3MsgDeleted, POP3BadArgs, POP3Unknown, POP3NotSupported,
	POP3LineTooLong, POP3TooManyErrs, POP3Idle, POP3Shutdown, POP3Busy,
	POP3SysError, POP3STLS, POP3NeedTLS, POP3NoTLS, POP3AlreadyTLS, POP3STLSLate,
}

type pop3Matcher struct {
	POP3
	pattern glob
}

var pop3Index = func() []pop3Matcher {
	m := make([]pop3Matcher, len(AllPOP3))
	for i, r := range AllPOP3 {
		m[i] = pop3Matcher{r, pattern(r.Text)}
	}
	return m
}()

// IdentifyPOP3 returns the key of a status line answering command ("" for
// the greeting, which answers none), or "" when it is no line of this
// catalogue.
func IdentifyPOP3(line, command string) Key {
	ok, code, text, valid := splitStatus(line)
	if !valid {
		return ""
	}
	verb := strings.ToUpper(firstWord(command))
	for _, m := range pop3Index {
		if m.OK != ok || m.Code != code || !answers(m.POP3, verb, command) {
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
func answers(r POP3, verb, command string) bool {
	if r.Key == POP3Greeting.Key {
		return command == ""
	}
	if len(r.For) == 0 || verb == "" {
		return true
	}
	for _, v := range r.For {
		if v == verb {
			withArg := strings.Contains(strings.TrimSpace(command), " ")
			switch r.Key {
			case POP3ListOne.Key, POP3UidlOne.Key:
				return withArg
			case POP3ListAll.Key, POP3UidlAll.Key:
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
