package trace

import (
	"strings"
)

// pop3CommandNote explains a POP3 command (RFC 1939, RFC 2449).
func pop3CommandNote(line string) string {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(verb) {
	case "USER":
		return "log in, step 1: the user name (plain text, no Base64 in POP3)"
	case "PASS":
		return "log in, step 2: the password, in plain text"
	case "STAT":
		return "how many messages, and how many octets in all?"
	case "LIST":
		if arg != "" {
			return "how big is message " + arg + "?"
		}
		return "list every message with its size"
	case "RETR":
		return "retrieve message " + arg + ", whole"
	case "TOP":
		n, lines, _ := strings.Cut(arg, " ")
		return "the headers of message " + n + " and the first " + strings.TrimSpace(lines) + " lines of its body"
	case "UIDL":
		return "unique ids, which stay the same across sessions (so a client knows what it already has)"
	case "DELE":
		return "mark message " + arg + " for deletion (done only at QUIT)"
	case "RSET":
		return "unmark every message marked for deletion"
	case "NOOP":
		return "do nothing: checks the connection is alive"
	case "QUIT":
		return "goodbye: marked messages are deleted now"
	case "CAPA":
		return "which capabilities does the server have?"
	case "APOP", "AUTH":
		return "another way to log in"
	}
	return "not a POP3 command"
}

// pop3ReplyNote explains a status line, given the command it answers.
func pop3ReplyNote(line, cmd string) string {
	verb, arg, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	verb = strings.ToUpper(verb)
	if strings.HasPrefix(line, "-ERR") {
		return pop3ErrorNote(strings.TrimSpace(strings.TrimPrefix(line, "-ERR")))
	}
	if !strings.HasPrefix(line, "+OK") {
		return "not a valid POP3 answer: it should start with +OK or -ERR"
	}
	text := strings.TrimSpace(strings.TrimPrefix(line, "+OK"))
	fields := strings.Fields(text)
	switch verb {
	case "":
		return "greeting: the POP3 server is ready; log in with USER and PASS"
	case "USER":
		return "user name noted: now send PASS"
	case "PASS":
		return "logged in: the mailbox is locked for this session"
	case "STAT":
		if len(fields) >= 2 {
			return plural(fields[0], "message") + ", " + fields[1] + " octets in all"
		}
	case "LIST":
		if arg != "" && len(fields) >= 2 {
			return "message " + fields[0] + " is " + fields[1] + " octets"
		}
		return "the list follows, one line per message, ending with '.'"
	case "RETR":
		return "the message follows, as stored, ending with a line holding only '.'"
	case "TOP":
		return "the headers and the first body lines follow, ending with '.'"
	case "UIDL":
		if arg != "" && len(fields) >= 2 {
			return "message " + fields[0] + " has unique id " + fields[1]
		}
		return "the unique ids follow, ending with '.'"
	case "DELE":
		return "marked: the message is deleted when you QUIT (RSET undoes it)"
	case "RSET":
		return "deletion marks removed"
	case "CAPA":
		return "the capabilities follow, one per line, ending with '.'"
	case "QUIT":
		return "goodbye: marked messages are now deleted"
	case "NOOP":
		return "still connected"
	}
	return "success"
}

// pop3ErrorNote explains an -ERR by its response code or reason.
func pop3ErrorNote(text string) string {
	lower := strings.ToLower(text)
	switch {
	case strings.HasPrefix(text, "[AUTH]"):
		return "login failed: wrong user name or password; start again with USER"
	case strings.HasPrefix(text, "[IN-USE]"):
		return "another session has this mailbox open (RFC 1939 locks it); QUIT that one first"
	case strings.HasPrefix(text, "[SYS/TEMP]"):
		return "a temporary problem on the server: try again later"
	case strings.HasPrefix(text, "[SYS/PERM]"):
		return "a lasting problem on the server"
	case strings.HasPrefix(text, "[LOGIN-DELAY]"):
		return "logged in too recently: wait before logging in again"
	case strings.Contains(lower, "send user first"):
		return "wrong order: USER name comes before PASS"
	case strings.Contains(lower, "log in first"):
		return "log in with USER and PASS before using the mailbox"
	case strings.Contains(lower, "already logged in"):
		return "you are logged in already"
	case strings.Contains(lower, "already deleted"):
		return "that message is marked for deletion; RSET unmarks it"
	case strings.Contains(lower, "no such message"):
		return "there is no message with that number: STAT or LIST shows how many there are"
	case strings.Contains(lower, "syntax"):
		return "wrong arguments: the answer shows the right form"
	case strings.Contains(lower, "unknown command"):
		return "not a POP3 command: try USER, PASS, STAT, LIST, RETR, DELE, QUIT"
	case strings.Contains(lower, "not supported"):
		return "this server logs in with USER and PASS only"
	case strings.Contains(lower, "too long"):
		return "a POP3 command line is at most 255 octets"
	case strings.Contains(lower, "too many errors"):
		return "too many bad commands: the server closes the connection"
	case strings.Contains(lower, "idle"):
		return "closed for being idle too long; nothing was deleted"
	}
	return "the command failed: the text says why"
}

// pop3DataNote explains one line of a multi-line answer to cmd.
func pop3DataNote(line, cmd string) string {
	verb, _, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	fields := strings.Fields(line)
	switch strings.ToUpper(verb) {
	case "LIST":
		if len(fields) == 2 {
			return "message " + fields[0] + ": " + fields[1] + " octets"
		}
	case "UIDL":
		if len(fields) == 2 {
			return "message " + fields[0] + " has unique id " + fields[1]
		}
	case "CAPA":
		return capaNote(line)
	}
	return ""
}

// capaNote explains one capability (RFC 2449 section 6).
func capaNote(line string) string {
	name, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(name) {
	case "USER":
		return "log in with USER and PASS"
	case "TOP":
		return "TOP shows headers and the first body lines"
	case "UIDL":
		return "UIDL gives unique ids"
	case "RESP-CODES":
		return "-ERR answers may carry a [CODE] saying why"
	case "AUTH-RESP-CODE":
		return "login failures say [AUTH] when the password is wrong"
	case "PIPELINING":
		return "commands may be sent without waiting for each answer"
	case "IMPLEMENTATION":
		return "the server software: " + arg
	case "SASL":
		return "AUTH mechanisms: " + arg
	case "STLS":
		return "the connection can be encrypted"
	}
	return "capability " + name
}

// plural writes "1 message" or "2 messages".
func plural(n, word string) string {
	if n == "1" {
		return n + " " + word
	}
	return n + " " + word + "s"
}
