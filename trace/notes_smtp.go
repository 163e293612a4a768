package trace

import (
	"strconv"
	"strings"
)

// smtpReplyNotes explains each reply by its code and enhanced status code
// (RFC 5321 section 4.2, RFC 3463): what it means and, for errors, what to
// do next.
var smtpReplyNotes = map[string]string{
	"220":       "greeting: the server is ready; ESMTP means it understands EHLO",
	"221 2.0.0": "goodbye: the server closes the connection",
	"214 2.0.0": "help text",
	"235 2.7.0": "logged in: this session may now send mail to other providers",
	"250":       "OK",
	"250 2.0.0": "OK",
	"250 2.1.0": "sender accepted: bounces would go back to this address",
	"250 2.1.5": "recipient accepted",
	"252 2.5.0": "the server will not say whether the user exists, but would accept mail for it",
	"334":       "the server asks for the next part of the login, in Base64",
	"354":       "go ahead: send the headers, a blank line, the body, then a line with only '.'",
	"421 4.4.2": "closed for being idle too long; connect again and type faster",
	"421 4.7.0": "the server is closing this connection (too many connections, errors or failed logins); connect again",
	"421 4.3.2": "the server is shutting down; try again when it is back",
	"421 4.3.0": "the server hit an internal error and closed the connection; try again",
	"451 4.3.0": "temporary failure: nothing was stored, send the message again later",
	"452 4.5.3": "too many recipients for one message: send DATA now and the rest in a second message",
	"500 5.5.1": "not an SMTP command: try HELP for the list",
	"500 5.5.2": "the line is too long: commands must fit in 512 octets",
	"501 5.5.4": "the command's arguments are wrong: the reply shows the right syntax",
	"501 5.1.7": "the sender address is malformed: write it as MAIL FROM:<user@domain>",
	"501 5.1.3": "the recipient address is malformed: write it as RCPT TO:<user@domain>",
	"501 5.5.2": "that answer is not valid Base64: encode it first (maillab encode TEXT)",
	"501 5.7.0": "login cancelled with '*': start again with AUTH LOGIN",
	"502 5.5.1": "this server does not implement that command",
	"503 5.5.1": "wrong order: the usual order is EHLO, AUTH, MAIL FROM, RCPT TO, DATA",
	"504 5.5.4": "unknown login mechanism: use AUTH LOGIN or AUTH PLAIN",
	"535 5.7.8": "wrong user name or password (check the Base64: its letter case matters)",
	"550 5.1.1": "no such user at this provider: check the address",
	"550 5.7.1": "relaying denied: a provider delivers to other domains only for its logged-in users (AUTH first), and never outside the sandbox",
	"552 5.3.4": "the message is bigger than the server accepts (see SIZE in the EHLO reply)",
	"554 5.6.0": "the message has a line that is far too long: wrap long lines",
	"555 5.5.4": "unknown MAIL FROM parameter: only SIZE, BODY and AUTH are understood",
}

// classNotes explains a reply no table entry knows, by its first digit.
var classNotes = map[byte]string{
	'2': "success",
	'3': "the server waits for more input",
	'4': "temporary failure: try again later",
	'5': "permanent failure: change the command before trying again",
}

// SMTPReplyNote explains one SMTP reply line ("250 2.1.5 ..." or
// "250-SIZE 10485760"). known is false when only the reply's class is
// known, not its particular meaning.
func SMTPReplyNote(line string) (note string, known bool) {
	code, enhanced, text := splitReply(line)
	if code == "" {
		return "not a valid SMTP reply: it should start with a three-digit code", false
	}
	if code == "250" && len(line) > 3 && line[3] == '-' || code == "250" && enhanced == "" && text != "" {
		if n := ehloNote(text); n != "" {
			return n, true
		}
	}
	if code == "334" {
		return challengeNote(text), true
	}
	if n, ok := smtpReplyNotes[code+" "+enhanced]; ok && enhanced != "" {
		return refine(code, enhanced, text, n), true
	}
	if n, ok := smtpReplyNotes[code]; ok {
		return n, true
	}
	return classNotes[code[0]], false
}

// refine adds what only the reply text tells apart.
func refine(code, enhanced, text, note string) string {
	lower := strings.ToLower(text)
	switch {
	case code == "250" && strings.Contains(lower, "queued as"):
		return "message accepted: the server is now responsible for delivering it"
	case code == "250" && strings.Contains(lower, "will relay"):
		return "recipient accepted: it lives at another provider, so this server will relay the message"
	case code == "250" && strings.Contains(lower, "reset"):
		return "transaction reset: sender and recipients forgotten"
	case code == "503" && strings.Contains(lower, "helo or ehlo"):
		return "wrong order: say EHLO (or HELO) first"
	case code == "503" && strings.Contains(lower, "need mail from"):
		return "wrong order: give the sender with MAIL FROM:<...> first"
	case code == "503" && strings.Contains(lower, "need rcpt to"):
		return "wrong order: give at least one recipient with RCPT TO:<...> before DATA"
	case code == "503" && strings.Contains(lower, "already authenticated"):
		return "you are already logged in"
	case code == "503" && strings.Contains(lower, "ehlo first"):
		return "AUTH is an ESMTP extension: say EHLO (not HELO) first"
	case code == "550" && strings.Contains(lower, "delivers only to"):
		return "relaying denied: this sandbox never sends mail outside its own domains, logged in or not"
	case code == "550" && strings.Contains(lower, "log in first"):
		return "relaying denied: log in with AUTH LOGIN first; without it a provider only accepts mail for its own users"
	}
	return note
}

// splitReply cuts "250-2.1.5 text" into code, enhanced code and text.
func splitReply(line string) (code, enhanced, text string) {
	if len(line) < 3 {
		return "", "", ""
	}
	if _, err := strconv.Atoi(line[:3]); err != nil || line[0] < '2' || line[0] > '5' {
		return "", "", ""
	}
	code = line[:3]
	if len(line) > 4 {
		text = line[4:]
	}
	if first, rest, _ := strings.Cut(text, " "); isEnhanced(first, code[0]) {
		enhanced, text = first, rest
	}
	return code, enhanced, text
}

// isEnhanced reports whether s is an enhanced status code matching class.
func isEnhanced(s string, class byte) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0][0] != class {
		return false
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(p) == 0 || len(p) > 3 {
			return false
		}
	}
	return true
}

// ehloNote explains one line of an EHLO reply.
func ehloNote(text string) string {
	keyword, arg, _ := strings.Cut(text, " ")
	switch strings.ToUpper(keyword) {
	case "SIZE":
		if arg != "" {
			return "extension SIZE: the largest message accepted is " + arg + " octets"
		}
		return "extension SIZE: the client may announce a message's size"
	case "8BITMIME":
		return "extension 8BITMIME: the body may contain 8-bit bytes"
	case "ENHANCEDSTATUSCODES":
		return "extension ENHANCEDSTATUSCODES: replies carry codes like 2.1.5 that say more precisely what happened"
	case "AUTH":
		return "extension AUTH: the ways to log in (" + arg + ")"
	case "HELP":
		return "extension HELP: the server answers HELP"
	case "PIPELINING":
		return "extension PIPELINING: several commands may be sent without waiting"
	case "STARTTLS":
		return "extension STARTTLS: the connection can be encrypted"
	case "SMTPUTF8":
		return "extension SMTPUTF8: addresses may contain UTF-8"
	case "DSN":
		return "extension DSN: delivery status notifications can be requested"
	case "CHUNKING":
		return "extension CHUNKING: BDAT may send the message in pieces"
	}
	if strings.Contains(text, "greets") || strings.Contains(strings.ToLower(text), "hello") {
		return "hello accepted; an EHLO reply then lists the server's extensions, one per line"
	}
	return ""
}

// challengeNote decodes a 334 challenge.
func challengeNote(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return "go on: send the AUTH PLAIN answer, Base64 of NUL user NUL password"
	}
	if s, ok := base64Text(text); ok {
		return "Base64 of '" + s + "': the server asks for the " + strings.ToLower(strings.TrimSuffix(s, ":")) + ", in Base64"
	}
	return "the server asks for the next part of the login"
}

// smtpCommandNote explains a command a client sent.
func smtpCommandNote(line string) string {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(verb) {
	case "EHLO":
		return "hello, I am '" + arg + "': and which extensions do you support? (ESMTP)"
	case "HELO":
		return "hello, I am '" + arg + "' (plain SMTP: no extensions, so no AUTH)"
	case "AUTH":
		return authNote(arg)
	case "MAIL":
		return "envelope sender: where bounces go (the From: header is separate)"
	case "RCPT":
		return "envelope recipient: who the server must deliver to"
	case "DATA":
		return "the message itself comes next"
	case "RSET":
		return "forget this transaction's sender and recipients"
	case "NOOP":
		return "do nothing: checks the connection is alive"
	case "VRFY":
		return "asks whether a user exists"
	case "HELP":
		return "asks for help"
	case "QUIT":
		return "goodbye"
	case "STARTTLS":
		return "asks to encrypt the connection"
	}
	return "not an SMTP command"
}

// authNote explains an AUTH command, decoding any initial response.
func authNote(arg string) string {
	mech, initial, _ := strings.Cut(arg, " ")
	switch strings.ToUpper(mech) {
	case "LOGIN":
		if s, ok := base64Text(initial); ok {
			return "log in with AUTH LOGIN; the user name comes along: Base64 of '" + s + "'"
		}
		return "log in with AUTH LOGIN: user name, then password, each in Base64"
	case "PLAIN":
		if initial != "" {
			return "log in with AUTH PLAIN: " + plainNote(initial)
		}
		return "log in with AUTH PLAIN: one Base64 answer holding the user name and password"
	}
	return "log in with the " + mech + " mechanism"
}

// plainNote decodes an AUTH PLAIN answer's NUL-separated fields.
func plainNote(b64 string) string {
	s, ok := base64Text(b64)
	if !ok {
		return "not valid Base64"
	}
	f := strings.Split(s, "\x00")
	if len(f) != 3 {
		return "Base64 of '" + strings.ReplaceAll(s, "\x00", `\0`) + "', which lacks the NUL-separated fields"
	}
	authz := f[0]
	if authz == "" {
		authz = "(empty)"
	}
	return "Base64 of authorization id " + authz + ", NUL, user '" + f[1] + "', NUL, password '" + f[2] + "'"
}
