package trace

import (
	"strings"

	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
)

// pop3ReplyNotes explains each status line of maillab's POP3 server, by
// its key; pop3ReplyNote fills in the numbers some of them carry.
var pop3ReplyNotes = map[proto.Key]string{
	pop3.Greeting.Key:     "greeting: the POP3 server is ready; log in with USER and PASS",
	pop3.Capa.Key:         "the capabilities follow, one per line, ending with '.'",
	pop3.UserOK.Key:       "user name noted: now send PASS",
	pop3.LoggedIn.Key:     "logged in: the mailbox is locked for this session",
	pop3.Stat.Key:         "message count and size of the mailbox",
	pop3.ListAll.Key:      "the list follows, one line per message, ending with '.'",
	pop3.ListOne.Key:      "the message's number and size",
	pop3.Retr.Key:         "the message follows, as stored, ending with a line holding only '.'",
	pop3.Top.Key:          "the headers and the first body lines follow, ending with '.'",
	pop3.UidlAll.Key:      "the unique ids follow, ending with '.'",
	pop3.UidlOne.Key:      "the message's number and unique id",
	pop3.Deleted.Key:      "marked: the message is deleted when you QUIT (RSET undoes it)",
	pop3.Reset.Key:        "deletion marks removed",
	pop3.Noop.Key:         "still connected",
	pop3.Bye.Key:          "goodbye: nothing was deleted (the session never logged in)",
	pop3.ByeUpdate.Key:    "goodbye: messages marked with DELE are deleted now (the UPDATE state)",
	pop3.AuthFailed.Key:   "login failed: wrong user name or password; start again with USER",
	pop3.AuthBusy.Key:     "not tried: this account has seen many failed logins lately, and its guesses wait in line; try again in a few seconds",
	pop3.InUse.Key:        "another session has this mailbox open (RFC 1939 locks it); QUIT that one first",
	pop3.NeedUser.Key:     "wrong order: USER name comes before PASS",
	pop3.NeedLogin.Key:    "log in with USER and PASS before using the mailbox",
	pop3.LoggedInAlr.Key:  "you are logged in already",
	pop3.NoSuchMsg.Key:    "there is no message with that number: STAT or LIST shows how many there are",
	pop3.MsgDeleted.Key:   "that message is marked for deletion; RSET unmarks it",
	pop3.BadArgs.Key:      "wrong arguments: the answer shows the right form",
	pop3.Unknown.Key:      "not a POP3 command: try USER, PASS, STAT, LIST, RETR, DELE, QUIT",
	pop3.NotSupported.Key: "this server logs in with USER and PASS only",
	pop3.LineTooLong.Key:  "a POP3 command line is at most 255 octets",
	pop3.TooManyErrs.Key:  "too many bad commands: the server closes the connection",
	pop3.Idle.Key:         "closed for being idle too long; nothing was deleted",
	pop3.Shutdown.Key:     "the server is shutting down: nothing was deleted; try again later",
	pop3.Busy.Key:         "the server has too many sessions open; try again in a moment",
	pop3.AddressBusy.Key:  "your address has many sessions open already (each address gets a fair share): close some, then connect again",
	pop3.AccountBusy.Key:  "this account has many sessions open already: close some, then log in again",
	pop3.SysError.Key:     "a temporary problem on the server: try again later",
	pop3.STLS.Key:         "go ahead with the TLS handshake: everything after it is encrypted (RFC 2595)",
	pop3.NeedTLS.Key:      "this server takes logins only over TLS: send STLS first",
	pop3.NoTLS.Key:        "this server has no certificate: it cannot encrypt the connection",
	pop3.AlreadyTLS.Key:   "the connection is encrypted already",
	pop3.STLSLate.Key:     "STLS must come before USER and PASS (RFC 2595): the password would already have gone out in the clear",
}

// respCodeNotes explains -ERR response codes of any server (RFC 2449
// section 8, RFC 3206).
var respCodeNotes = map[string]string{
	"AUTH":        "login failed: wrong user name or password",
	"IN-USE":      "another session has this mailbox open; QUIT that one first",
	"SYS/TEMP":    "a temporary problem on the server: try again later",
	"SYS/PERM":    "a lasting problem on the server",
	"LOGIN-DELAY": "logged in too recently: wait before logging in again",
}

// pop3ReplyNote explains a status line: maillab's by key, with the numbers
// it carries; other servers' by their response code or the command.
func pop3ReplyNote(p *i18n.Printer, e *Event) string {
	if e.Status == "" {
		return p.Tr("not a valid POP3 answer: it should start with +OK or -ERR")
	}
	fields := strings.Fields(strings.TrimPrefix(e.Line, e.Status))
	switch e.Reply {
	case pop3.Stat.Key:
		if len(fields) >= 2 {
			return p.Trf("%s, %s octets in all", p.CountOf(fields[0], "message"), fields[1])
		}
	case pop3.ListOne.Key:
		if len(fields) >= 2 {
			return p.Trf("message %s is %s octets", fields[0], fields[1])
		}
	case pop3.UidlOne.Key:
		if len(fields) >= 2 {
			return p.Trf("message %s has unique id %s", fields[0], fields[1])
		}
	}
	if n, ok := pop3ReplyNotes[e.Reply]; ok {
		return p.Tr(n)
	}
	return foreignPOP3Note(p, e.Line, e.Answers)
}

// foreignPOP3Notes explains another server's +OK by the command answered.
var foreignPOP3Notes = map[string]string{
	"":     "greeting: the POP3 server is ready",
	"USER": "user name noted: now send PASS",
	"PASS": "logged in",
	"QUIT": "goodbye",
}

// foreignPOP3Note explains another server's status line.
func foreignPOP3Note(p *i18n.Printer, line, command string) string {
	if rest, ok := strings.CutPrefix(line, "-ERR ["); ok {
		code, _, _ := strings.Cut(rest, "]")
		if n, ok := respCodeNotes[strings.ToUpper(code)]; ok {
			return p.Tr(n)
		}
	}
	if strings.HasPrefix(line, "-ERR") {
		return p.Tr("the command failed: the text says why")
	}
	if n, ok := foreignPOP3Notes[proto.Verb(command)]; ok {
		return p.Tr(n)
	}
	return p.Tr("success")
}

// pop3CommandNotes explains the commands whose note needs no argument.
var pop3CommandNotes = map[string]string{
	"USER": "log in, step 1: the user name, in plain text (USER and PASS carry no Base64; POP3's AUTH command, RFC 5034, does, as SMTP's)",
	"STAT": "how many messages, and how many octets in all?",
	"UIDL": "unique ids, which stay the same across sessions (so a client knows what it already has)",
	"RSET": "unmark every message marked for deletion",
	"NOOP": "do nothing: checks the connection is alive",
	"CAPA": "which capabilities does the server have?",
	"APOP": "log in with a digest of the password instead of PASS (RFC 1939 section 7)",
	"AUTH": "log in with a SASL mechanism (RFC 5034): the answers are Base64, as in SMTP's AUTH",
	"STLS": "asks to encrypt the connection (RFC 2595)",
}

// pop3CommandNote explains a POP3 command (RFC 1939, RFC 2449); what QUIT
// does depends on whether the session logged in, who can read PASS on
// whether it travels inside TLS.
func pop3CommandNote(p *i18n.Printer, line string, loggedIn, encrypted bool) string {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(verb) {
	case "PASS":
		if encrypted {
			return p.Tr("log in, step 2: the password, in plain text inside TLS: only the server can read it")
		}
		return p.Tr("log in, step 2: the password, in plain text: anyone on the wire can read it")
	case "LIST":
		if arg != "" {
			return p.Trf("how big is message %s?", arg)
		}
		return p.Tr("list every message with its size")
	case "RETR":
		return p.Trf("retrieve message %s, whole", arg)
	case "TOP":
		n, lines, _ := strings.Cut(arg, " ")
		return p.Trf("the headers of message %s and the first %s lines of its body", n, strings.TrimSpace(lines))
	case "DELE":
		return p.Trf("mark message %s for deletion (done only at QUIT)", arg)
	case "QUIT":
		if !loggedIn {
			return p.Tr("goodbye (not logged in: there is nothing to delete)")
		}
		return p.Tr("goodbye: messages marked with DELE are deleted now")
	}
	if n, ok := pop3CommandNotes[strings.ToUpper(verb)]; ok {
		return p.Tr(n)
	}
	return p.Tr("not a POP3 command")
}

// pop3DataNote explains one line of a multi-line answer to cmd.
func pop3DataNote(p *i18n.Printer, line, cmd string) string {
	fields := strings.Fields(line)
	switch proto.Verb(cmd) {
	case "LIST":
		if len(fields) == 2 {
			return p.Trf("message %s: %s octets", fields[0], fields[1])
		}
	case "UIDL":
		if len(fields) == 2 {
			return p.Trf("message %s has unique id %s", fields[0], fields[1])
		}
	case "CAPA":
		return capaNote(p, line)
	}
	return ""
}

// capaNotes explains the capabilities whose note needs no argument (RFC
// 2449 section 6).
var capaNotes = map[string]string{
	"USER":           "log in with USER and PASS",
	"TOP":            "TOP shows headers and the first body lines",
	"UIDL":           "UIDL gives unique ids",
	"RESP-CODES":     "-ERR answers may carry a [CODE] saying why",
	"AUTH-RESP-CODE": "login failures say [AUTH] when the password is wrong",
	"PIPELINING":     "commands may be sent without waiting for each answer",
	"STLS":           "the connection can be encrypted",
}

// capaNote explains one capability.
func capaNote(p *i18n.Printer, line string) string {
	name, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(name) {
	case "IMPLEMENTATION":
		return p.Trf("the server software: %s", arg)
	case "SASL":
		return p.Trf("AUTH mechanisms: %s", arg)
	}
	if n, ok := capaNotes[strings.ToUpper(name)]; ok {
		return p.Tr(n)
	}
	return p.Trf("capability %s", name)
}
