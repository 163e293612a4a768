package trace

import (
	"strconv"
	"strings"

	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// smtpReplyNotes explains each reply of maillab's SMTP server, by its key.
// A few depend on the command answered; smtpReplyNote handles those.
var smtpReplyNotes = map[proto.Key]string{
	smtp.Greeting.Key:         "greeting: the server is ready (the word ESMTP is a custom; clients send EHLO anyway and fall back to HELO if it is refused)",
	smtp.Bye.Key:              "goodbye: the server closes the connection",
	smtp.Hello.Key:            "hello accepted; the lines that follow list the server's extensions, one per line",
	smtp.OK.Key:               "OK: the connection is alive",
	smtp.Reset.Key:            "transaction reset: sender and recipients forgotten",
	smtp.SenderOK.Key:         "sender accepted: if the message cannot be delivered, the report goes to this address",
	smtp.RecipientOK.Key:      "recipient accepted: a user of this provider",
	smtp.PostmasterOK.Key:     "postmaster accepted: every mail server must take mail for its postmaster, so problems can always be reported (RFC 5321 4.5.1)",
	smtp.RelayOK.Key:          "recipient accepted: it lives at another provider, so this server will relay the message",
	smtp.DuplicateRcpt.Key:    "this recipient was given already: it still gets only one copy",
	smtp.Queued.Key:           "message accepted: the server is now responsible for delivering it",
	smtp.Vrfy.Key:             "252: the server neither confirms nor denies that the user exists (RFC 5321 3.5.3); only RCPT TO tells",
	smtp.Help.Key:             "help text",
	smtp.AuthOK.Key:           "logged in: this session may now send mail to other providers",
	smtp.Challenge.Key:        "the server asks for the next part of the login, in Base64",
	smtp.StartData.Key:        "go ahead: send the headers, a blank line, the body, then a line with only '.'",
	smtp.Idle.Key:             "closed for being idle too long; connect again and type faster",
	smtp.TooManyConns.Key:     "the server has too many sessions open; connect again in a moment",
	smtp.AddressBusy.Key:      "your address has many sessions open already (each address gets a fair share, so one student cannot take the whole class's): close some, then connect again",
	smtp.AccountBusy.Key:      "this account has many sessions open already: close some, then log in again",
	smtp.TooManyErrors.Key:    "too many bad commands: the server closes the connection; connect again",
	smtp.TooManyAuth.Key:      "too many failed logins: the server closes the connection (reconnecting does not help a guesser: each failure is answered later than the last)",
	smtp.Shutdown.Key:         "the server is shutting down; try again when it is back",
	smtp.Internal.Key:         "the server hit an internal error and closed the connection; try again",
	smtp.StoreFailed.Key:      "temporary failure: nothing was stored, send the message again later",
	smtp.TooManyRcpts.Key:     "too many recipients for one message: send DATA now and the rest in a second message",
	smtp.UnknownCmd.Key:       "not an SMTP command: try HELP for the list",
	smtp.LineTooLong.Key:      "the line is too long: commands must fit in 512 octets",
	smtp.BadArgs.Key:          "the command's arguments are wrong: the reply shows the right syntax",
	smtp.BadSender.Key:        "the sender address is malformed: write it as MAIL FROM:<user@domain>",
	smtp.BadRecipient.Key:     "the recipient address is malformed: write it as RCPT TO:<user@domain>",
	smtp.BadBase64.Key:        "that answer is not valid Base64: encode it first (maillab encode TEXT)",
	smtp.AuthCancelled.Key:    "login cancelled with '*': start again with AUTH LOGIN",
	smtp.NotImpl.Key:          "a real SMTP command that this server does not offer",
	smtp.NeedHelo.Key:         "wrong order: say EHLO (or HELO) first",
	smtp.NeedEhlo.Key:         "AUTH is an ESMTP extension: say EHLO (not HELO) first",
	smtp.SenderGiven.Key:      "a sender is given already: RSET starts the transaction over",
	smtp.NeedMail.Key:         "wrong order: give the sender with MAIL FROM:<...> first",
	smtp.NeedMailData.Key:     "wrong order: MAIL FROM and RCPT TO come before DATA",
	smtp.NeedRcpt.Key:         "wrong order: give at least one recipient with RCPT TO:<...> before DATA",
	smtp.AlreadyAuth.Key:      "you are logged in already",
	smtp.AuthInMail.Key:       "log in before MAIL FROM (or RSET first): AUTH is not allowed inside a transaction",
	smtp.BadMechanism.Key:     "unknown login mechanism: use AUTH LOGIN or AUTH PLAIN",
	smtp.AuthFailed.Key:       "wrong user name or password (check the Base64: its letter case matters)",
	smtp.NoSuchUser.Key:       "no such user at this provider: check the address",
	smtp.RelayDenied.Key:      "relaying denied: log in with AUTH LOGIN first; without it a provider only accepts mail for its own users",
	smtp.NotOurWorld.Key:      "relaying denied: this sandbox never sends mail outside its own domains, logged in or not",
	smtp.OverQuota.Key:        "the recipient's mailbox is full (5.2.2): it holds its quota already; its owner must fetch and delete some mail first. A relaying provider sends the sender a bounce",
	smtp.MessageOverQuota.Key: "the message would not fit in the recipient's mailbox (5.2.2, mailbox full): nothing was stored",
	smtp.TooBig.Key:           "the message is bigger than the server accepts (see SIZE in the EHLO reply)",
	smtp.SenderNotOwned.Key:   "you may send only as yourself: providers refuse a MAIL FROM that is not the logged-in user, so nobody sends in another's name through them",
	smtp.DataLine.Key:         "the message has a line that is far too long: wrap long lines",
	smtp.BadParam.Key:         "unknown MAIL FROM parameter: only SIZE, BODY and AUTH are understood",
	smtp.ReadyTLS.Key:         "go ahead with the TLS handshake: everything after it is encrypted, and the conversation starts over with EHLO (RFC 3207)",
	smtp.NeedTLS.Key:          "this server takes logins only over TLS: send STARTTLS, then EHLO again, then AUTH",
	smtp.NoTLS.Key:            "the server cannot start TLS now: try later, or go on without it",
	smtp.AlreadyTLS.Key:       "the connection is encrypted already",
	smtp.AuthBusy.Key:         "not tried: this account has seen many failed logins lately, and its guesses wait in line; a temporary failure (4xx), so try again in a few seconds",
	smtp.XForwardOK.Key:       "the receiving server notes which message this is: its journey goes on under the same id",
	smtp.XForwardDenied.Key:   "XFORWARD is for trusted servers only (Postfix lists them in smtpd_authorized_xforward_hosts); a mail program never needs it",
	smtp.FaultBusy.Key:        "a temporary failure (4xx): a relaying provider keeps the message and tries again later; a mail program shows an error and may retry",
	smtp.FaultDisabled.Key:    "a permanent failure (5xx): this recipient takes no mail; a relaying provider sends its sender a bounce",
	smtp.FaultFull.Key:        "the mailbox is over its quota (5.2.2): the message is refused; a relaying provider sends a bounce",
}

// codeNotes explains replies of other servers by code and enhanced status
// code (RFC 5321 section 4.2, RFC 3463).
var codeNotes = map[string]string{
	"220":       "greeting: the server is ready",
	"221 2.0.0": "goodbye: the server closes the connection",
	"235 2.7.0": "logged in",
	"250 2.1.0": "sender accepted",
	"250 2.1.5": "recipient accepted",
	"250 2.0.0": "OK",
	"252 2.5.0": "the server neither confirms nor denies that the user exists",
	"354":       "go ahead: send the message, then a line with only '.'",
	"421":       "the server is closing the connection",
	"450 4.2.0": "the mailbox is busy or unavailable for now: try again later",
	"451 4.3.0": "temporary failure: try again later",
	"452 4.5.3": "too many recipients: send the rest in another message",
	"454 4.7.0": "temporary login or TLS failure: try again later",
	"500 5.5.1": "command not recognized",
	"500 5.5.2": "syntax error: the line is not a command",
	"501 5.5.4": "the command's arguments are wrong",
	"502 5.5.1": "command not implemented",
	"503 5.5.1": "wrong order of commands",
	"504 5.5.4": "parameter not implemented",
	"530 5.7.0": "you must log in (or start TLS) first",
	"535 5.7.8": "wrong user name or password",
	"550 5.1.1": "no such user",
	"550 5.7.1": "refused by policy (relaying denied, say)",
	"552 5.3.4": "the message is too big",
	"553 5.7.1": "the sender address is not allowed",
	"554 5.7.1": "refused by policy",
}

// plainCodeNotes explain the replies of servers that send no enhanced
// status codes, by the code alone.
var plainCodeNotes = map[string]string{
	"221": "goodbye: the server closes the connection",
	"235": "logged in",
	"252": "the server neither confirms nor denies that the user exists",
	"500": "command not recognized",
	"501": "the command's arguments are wrong",
	"502": "command not implemented",
	"503": "wrong order of commands",
	"504": "parameter not implemented",
	"530": "you must log in (or start TLS) first",
	"535": "wrong user name or password",
	"552": "the message is too big",
}

// classNotes explains a reply no table knows, by its first digit.
var classNotes = map[byte]string{
	'2': "success",
	'3': "the server waits for more input",
	'4': "temporary failure: try again later",
	'5': "permanent failure: change the command before trying again",
}

// smtpReplyNote explains a server line: an EHLO extension line by its
// keyword, a 334 challenge by decoding it, maillab's replies by key, and
// other servers' replies by their codes.
func smtpReplyNote(p *i18n.Printer, e *Event) string {
	code, enhanced, text := splitReply(e.Line)
	if code == "" {
		return p.Tr("not a valid SMTP reply: it should start with a three-digit code")
	}
	verb := e.Verb
	if verb == "EHLO" && code == "250" {
		if n := ehloNote(p, text); n != "" {
			return n // an extension line, whoever the server
		}
	}
	if code == "334" {
		return challengeNote(p, text)
	}
	if n, ok := keyedSMTPNote(e.Reply, verb, e.Answers); ok {
		return p.Tr(n)
	}
	if code == "250" && (verb == "EHLO" || verb == "HELO") {
		if verb == "EHLO" && e.Reply == "" && len(e.Line) > 3 && e.Line[3] == ' ' {
			return p.Tr("hello accepted, in one line: the server offers no extensions")
		}
		n, _ := keyedSMTPNote(smtp.Hello.Key, verb, e.Answers)
		return p.Tr(n)
	}
	if n, ok := codeNotes[code+" "+enhanced]; ok && enhanced != "" {
		return p.Tr(n)
	}
	if n, ok := codeNotes[code]; ok {
		return p.Tr(n)
	}
	if n, ok := plainCodeNotes[code]; ok {
		return p.Tr(n)
	}
	return p.Tr(classNotes[code[0]])
}

// keyedSMTPNote is the note of one of maillab's replies (in English, the
// catalogue's key), for the replies whose meaning depends on the command
// they answer.
func keyedSMTPNote(key proto.Key, verb, command string) (string, bool) {
	switch {
	case key == smtp.Hello.Key && verb == "HELO":
		return i18n.N("hello accepted: plain SMTP, so no extensions are listed (and no AUTH)"), true
	case key == smtp.SenderOK.Key && strings.Contains(command, "<>"):
		return i18n.N("null sender accepted: a bounce (or mail that must never cause one)"), true
	case key == smtp.TooBig.Key && verb == "MAIL":
		return i18n.N("the size announced with SIZE= is over the limit: the server refuses before the message is even sent (RFC 1870)"), true
	case key == smtp.BadParam.Key && verb == "RCPT":
		return i18n.N("RCPT TO takes no parameters here: give only the address"), true
	}
	n, ok := smtpReplyNotes[key]
	return n, ok
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

// isEnhanced reports whether s is an enhanced status code matching class:
// class.subject.detail, each of one to three digits (RFC 3463).
func isEnhanced(s string, class byte) bool {
	if len(s) < 5 || s[0] != class || s[1] != '.' {
		return false
	}
	parts, digits := 1, 0
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && digits > 0:
			parts, digits = parts+1, 0
		case c >= '0' && c <= '9' && digits < 3:
			digits++
		default:
			return false
		}
	}
	return parts == 2 && digits > 0
}

// ehloNotes explains the lines of an EHLO reply by keyword.
var ehloNotes = map[string]string{
	"8BITMIME":            "extension 8BITMIME: the body may contain 8-bit bytes",
	"ENHANCEDSTATUSCODES": "extension ENHANCEDSTATUSCODES: replies carry codes like 2.1.5 that say more precisely what happened",
	"HELP":                "extension HELP: the server answers HELP",
	"PIPELINING":          "extension PIPELINING: the client may send several commands without waiting, and read the replies after",
	"STARTTLS":            "extension STARTTLS: the connection can be encrypted",
	"SMTPUTF8":            "extension SMTPUTF8: addresses may contain UTF-8",
	"DSN":                 "extension DSN: delivery status notifications can be requested",
	"CHUNKING":            "extension CHUNKING: BDAT may send the message in pieces",
	"XFORWARD":            "extension XFORWARD (Postfix): offered only to the sandbox's own relay, which may say which message it carries",
}

// ehloNote explains one line of an EHLO reply by its keyword.
func ehloNote(p *i18n.Printer, text string) string {
	keyword, arg, _ := strings.Cut(text, " ")
	switch strings.ToUpper(keyword) {
	case "SIZE":
		if arg != "" {
			return p.Trf("extension SIZE: the largest message accepted is %s octets", arg)
		}
		return p.Tr("extension SIZE: the client may announce a message's size")
	case "AUTH":
		return p.Trf("extension AUTH: the ways to log in (%s)", arg)
	}
	if n, ok := ehloNotes[strings.ToUpper(keyword)]; ok {
		return p.Tr(n)
	}
	return ""
}

// challengeNote decodes a 334 challenge.
func challengeNote(p *i18n.Printer, text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return p.Tr("go on: send the AUTH PLAIN answer, Base64 of NUL user NUL password")
	}
	if s, ok := base64Text(text); ok {
		switch strings.ToLower(strings.TrimSuffix(s, ":")) {
		case "username":
			return p.Trf("Base64 of '%s': the server asks for the user name, in Base64", s)
		case "password":
			return p.Trf("Base64 of '%s': the server asks for the password, in Base64", s)
		}
		return p.Trf("Base64 of '%s': what the server asks for, in Base64", s)
	}
	return p.Tr(smtpReplyNotes[smtp.Challenge.Key])
}

// smtpCommandNotes explains the commands whose note needs no argument.
var smtpCommandNotes = map[string]string{
	"DATA":     "the message itself comes next",
	"RSET":     "forget this transaction's sender and recipients",
	"NOOP":     "do nothing: checks the connection is alive",
	"VRFY":     "asks whether a user exists (most servers answer 252: neither yes nor no)",
	"EXPN":     "asks to expand a mailing list into its members (RFC 5321 3.5.4 and 4.1.1.7); most servers switch it off, as it gave spammers addresses (section 7.3)",
	"ETRN":     "asks the server to send on the mail it queued for a domain (RFC 1985), for sites that are not always online",
	"TURN":     "asks to swap roles so the server sends its queued mail back (RFC 821); dropped, as anyone could take another's mail",
	"BDAT":     "sends the message in chunks of a given size instead of DATA (CHUNKING, RFC 3030)",
	"HELP":     "asks for help",
	"QUIT":     "goodbye",
	"STARTTLS": "asks to encrypt the connection (RFC 3207)",
	"XFORWARD": "Postfix's XFORWARD, between trusted servers: IDENT is the message's id at the first provider, so both providers (and this page) follow one message under one id; it is no part of standard SMTP",
}

// smtpCommandNote explains a command a client sent.
func smtpCommandNote(p *i18n.Printer, line string) string {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToUpper(verb) {
	case "EHLO":
		return p.Trf("hello from '%s' (the client's host name, or its address in brackets: RFC 5321 4.1.1.1); which extensions do you support? (ESMTP)", arg)
	case "HELO":
		return p.Trf("hello from '%s' (the client's host name, or its address in brackets; plain SMTP: no extensions, so no AUTH)", arg)
	case "AUTH":
		return authNote(p, arg)
	case "MAIL":
		return mailNote(p, arg)
	case "RCPT":
		return rcptNote(p, arg)
	}
	if n, ok := smtpCommandNotes[strings.ToUpper(verb)]; ok {
		return p.Tr(n)
	}
	return p.Tr("not an SMTP command")
}

// mailNote explains MAIL FROM, its null sender and its parameters.
func mailNote(p *i18n.Printer, arg string) string {
	note := p.Tr("envelope sender: where bounces go (the From: header is separate)")
	path, params, _ := strings.Cut(arg, ">")
	if strings.HasSuffix(strings.ReplaceAll(path, " ", ""), ":<") {
		note = p.Tr("the null sender <>, used by bounces themselves: if this message fails, nobody is told (RFC 5321 4.5.5)")
	}
	for _, param := range strings.Fields(params) {
		key, value, _ := strings.Cut(param, "=")
		switch strings.ToUpper(key) {
		case "SIZE":
			note += p.Trf("; SIZE=%s announces the size, so a server can refuse it before it is sent (RFC 1870)", value)
		case "BODY":
			note += p.Trf("; BODY=%s declares the content: 8BITMIME, that it holds bytes above 127, which the server agreed to take in its EHLO answer; 7BIT, that it holds none (RFC 6152)", value)
		case "AUTH":
			note += p.Tr("; AUTH= names who submitted it (RFC 4954 section 5)")
		}
	}
	return note
}

// rcptNote explains RCPT TO, and the postmaster every server must accept.
func rcptNote(p *i18n.Printer, arg string) string {
	path := strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(arg), "TO:")), "<> ")
	local, _, _ := strings.Cut(path, "@")
	if local == "POSTMASTER" {
		return p.Tr("envelope recipient: the postmaster, whom every server must accept mail for (RFC 5321 4.5.1)")
	}
	return p.Tr("envelope recipient: who the server must deliver to")
}

// authNote explains an AUTH command, decoding any initial response.
func authNote(p *i18n.Printer, arg string) string {
	mech, initial, _ := strings.Cut(arg, " ")
	switch strings.ToUpper(mech) {
	case "LOGIN":
		if s, ok := base64Text(initial); ok {
			return p.Trf("log in with AUTH LOGIN; the user name comes along: Base64 of '%s'", s)
		}
		return p.Tr("log in with AUTH LOGIN: user name, then password, each in Base64")
	case "PLAIN":
		if initial != "" {
			return p.Trf("log in with AUTH PLAIN: %s", plainNote(p, initial))
		}
		return p.Tr("log in with AUTH PLAIN: one Base64 answer holding the user name and password")
	}
	return p.Trf("log in with the %s mechanism", mech)
}

// authAnswerNote decodes a client's answer to a 334 challenge.
func authAnswerNote(p *i18n.Printer, line string) string {
	s := strings.TrimSpace(line)
	switch {
	case s == "*":
		return p.Tr("'*' cancels the login")
	case strings.Contains(s, " "):
		return p.Tr("an answer to a challenge must be Base64 alone")
	}
	b, err := decode.Base64(s)
	if err != nil {
		return p.Trf("not valid Base64: %s", err.Error())
	}
	if strings.Contains(string(b), "\x00") {
		return plainNote(p, s)
	}
	if text, ok := strings.CutSuffix(string(b), "\n"); ok {
		if t, ok := printableText([]byte(text)); ok {
			return p.Trf("Base64 of '%s' plus a newline (0a), which echo added: make it with echo -n or printf, or maillab encode", t)
		}
	}
	if text, ok := printableText(b); ok {
		return p.Trf("Base64 of '%s'", text)
	}
	return p.Tr("Base64 of bytes that are not text (was its letter case changed?)")
}

// plainNote decodes an AUTH PLAIN answer's NUL-separated fields.
func plainNote(p *i18n.Printer, b64 string) string {
	s, ok := base64Text(b64)
	if !ok {
		return p.Tr("not valid Base64")
	}
	f := strings.Split(s, "\x00")
	if len(f) != 3 {
		return p.Trf("Base64 of '%s', which lacks the NUL-separated fields", strings.ReplaceAll(s, "\x00", `\0`))
	}
	authz := f[0]
	if authz == "" {
		authz = p.Tr("(empty)")
	}
	return p.Trf("Base64 of authorization id %s, NUL, user '%s', NUL, password '%s'", authz, f[1], f[2])
}
