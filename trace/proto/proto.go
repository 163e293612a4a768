// Package proto is the bottom of maillab's house: what the mail protocols
// say, line by line. Each protocol has a package of its own (smtp, pop3)
// holding its reply catalogue and a Follower: fed every line a client and
// a server send, in the order they cross the connection, it returns a Mark
// saying what the line is. Everything above (the trace's Tap, the notes,
// the masking of secrets, the numbering of the six steps, the client's
// prompt state, the page) reads the Mark and keeps no protocol state of its
// own: a conversation is followed once.
//
// A Follower knows the protocol's grammar and states (RFC 5321 with RFC
// 4954 and RFC 3207 for SMTP; RFC 1939 with RFC 2449 and RFC 2595 for
// POP3): whether a client line is a command, an answer to a login
// challenge or message content; which command a server line answers; which
// reply of the catalogue it is; whether it carries a secret; which message
// (journey) it belongs to; whether TLS starts after it.
//
// # Adding a protocol: IMAP
//
// IMAP (RFC 9051) would be one more package here with a Follower, and one
// more server in the sandbox; nothing above would change. Its Follower
// would mark lines so:
//   - a client line "a1 LOGIN bbb secret" is a Command whose Verb is LOGIN
//     and whose Tag is "a1"; LOGIN's arguments and the lines answering an
//     AUTHENTICATE continuation ("+ ...") are Secret, with Claimed the user
//     name;
//   - a server line "* 3 EXISTS" is Untagged data: Kind Data, Verb the
//     command in progress, no Status; "a1 OK LOGIN completed" is the Reply
//     that answers the command tagged a1 (Answers and Verb found by tag,
//     not by order: IMAP answers may come out of order), with Status
//     "OK", "NO" or "BAD" and Final set;
//   - a literal ("{310}" then 310 octets) makes the following lines Data
//     until its octets are counted, whichever side sends it: "a2 FETCH 1
//     BODY[]" is answered by an untagged FETCH whose literal is the
//     message, marked with Content as RETR's lines are in POP3;
//   - SELECT INBOX and FETCH n name the journey of message n through the
//     listing the server hands over (Follower.SetMailbox), as POP3's RETR
//     n does; STARTTLS's OK sets TLSNext.
package proto

import (
	"fmt"
	"strings"
)

// Name names a protocol.
type Name string

// The protocols maillab speaks.
const (
	SMTP Name = "SMTP"
	POP3 Name = "POP3"
)

// Kind says what sort of line a transcript line is.
type Kind string

// The kinds of line.
const (
	// Command is a line a client sent: an SMTP or POP3 command, or an
	// answer to a login challenge.
	Command Kind = "command"
	// Reply is a status line a server sent: "250 2.0.0 OK", "+OK 2 messages".
	Reply Kind = "reply"
	// Data is message content or a line of a multi-line answer: what a
	// client sends after DATA, what a POP3 server sends after "+OK" to
	// RETR, TOP, LIST, UIDL or CAPA.
	Data Kind = "data"
	// Internal is something no line shows: an action of the sandbox.
	Internal Kind = "internal"
)

// Key names one reply of a catalogue, e.g. "smtp.queued" or "pop3.in-use".
type Key string

// Login says how a session's login went.
type Login string

// The outcomes of a login.
const (
	LoginNone   Login = "none"   // no login has succeeded (yet)
	LoginOK     Login = "ok"     // the session logged in
	LoginFailed Login = "failed" // this answer refused a login
)

// Mark is what a Follower says a line is. The zero Mark is a line that
// means nothing in particular.
type Mark struct {
	Kind Kind `json:"kind"`
	// Verb is a command's verb in upper case (also for a server line: the
	// verb of the command it answers); "" for the greeting, message content
	// and answers to a login challenge.
	Verb string `json:"verb,omitempty"`
	// Answers is, for a server line, the client line it answers.
	Answers string `json:"answers,omitempty"`
	// Reply is which reply of the catalogue a server line is: handed over
	// by the server when it is one of maillab's own, else found by its text.
	Reply Key `json:"reply,omitempty"`
	// Status is a server status line's code: "250", "+OK", "-ERR".
	Status string `json:"status,omitempty"`
	// Final marks the last line of a server's answer (SMTP's line without
	// a '-' after the code; POP3's status line or the "." that ends a list).
	Final bool `json:"final,omitempty"`
	// Challenge marks a client line that answers a login challenge (AUTH
	// LOGIN's user name and password, AUTH PLAIN's blob).
	Challenge bool `json:"challenge,omitempty"`
	// Secret marks a line that carries (or may carry) a password: shown
	// only where the account's secrets may be.
	Secret bool `json:"secret,omitempty"`
	// Claimed is the account name a login line or its answer is about, as
	// the client gave it: nobody has checked it.
	Claimed string `json:"claimed,omitempty"`
	// Login is set on the answer that ends a login attempt.
	Login Login `json:"login,omitempty"`
	// Message is the journey the line belongs to: a message's id, from
	// the start of its transaction to its end, or of the stored copy a
	// POP3 command names.
	Message string `json:"message,omitempty"`
	// Sender is the reverse-path a successful answer to MAIL accepted
	// ("<>" for the null sender).
	Sender string `json:"sender,omitempty"`
	// Recipient is the recipient a successful answer to RCPT accepted, or
	// the owner of the stored copy a POP3 command names.
	Recipient string `json:"recipient,omitempty"`
	// Content describes a line of message content: where it is in the
	// message's structure.
	Content *Content `json:"content,omitempty"`
	// LoggedIn is set on lines of a session that has logged in (a POP3
	// QUIT means something else before and after).
	LoggedIn bool `json:"logged_in,omitempty"`
	// TLSNext marks the answer after which a TLS handshake begins.
	TLSNext bool `json:"tls_next,omitempty"`
	// Ends marks the answer that ends the message's transaction.
	Ends bool `json:"ends,omitempty"`
}

// Follower follows one conversation, line by line, and marks each line.
// Lines are given without their line end, in the order they crossed the
// connection; octets is a line's length on the wire (with its line end),
// which can be more than len(line) when a long line was cut for showing.
type Follower interface {
	// Client marks a line the client sent.
	Client(line string, octets int) Mark
	// Server marks a line the server sent. key, when not "", is the reply
	// the server says it sent (maillab's own servers hand it over); else
	// the line is looked up in the catalogue by its text.
	Server(line string, octets int, key Key) Mark
	// Restart forgets the conversation, as both ends do once TLS starts
	// (RFC 3207 section 4.2, RFC 2595 section 4).
	Restart()
	// SetMessage names the journey of the transaction just begun (the
	// server accepted MAIL and says which message it is); later lines of
	// the transaction carry it.
	SetMessage(id string)
	// SetMailbox hands over the journeys of a mailbox's messages, message
	// n's at index n-1, and whose mailbox it is: commands naming message n
	// carry its journey.
	SetMailbox(owner string, journeys []string)
}

// Config sets a Follower up.
type Config struct {
	// NewMessage gives the id of a transaction a client begins (MAIL), for
	// a follower on the client's side; nil: transactions get their id
	// from SetMessage, or none.
	NewMessage func() string
}

// Verb returns a command line's first word in upper case.
func Verb(line string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return strings.ToUpper(w)
}

// Refused reports whether a status refuses: an SMTP 4xx or 5xx, or
// POP3's -ERR.
func Refused(status string) bool {
	return strings.HasPrefix(status, "4") || strings.HasPrefix(status, "5") || status == "-ERR"
}

// Arg returns what follows a command line's first word, trimmed.
func Arg(line string) string {
	_, a, _ := strings.Cut(strings.TrimSpace(line), " ")
	return strings.TrimSpace(a)
}

// Fill formats text with args and replaces control characters in the
// result with '?', so that a reply is always exactly one line, whatever a
// client sent.
func Fill(format string, args ...any) string {
	text := format
	if len(args) > 0 {
		text = fmt.Sprintf(format, args...)
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, text)
}

// SampleArgs returns an argument for every fmt verb in a reply's text (7
// for %d, "x@sina.com" for the others), to render any reply as the server
// could send it: for tests and documentation.
func SampleArgs(format string) []any {
	var args []any
	for i := 0; i < len(format)-1; i++ {
		if format[i] != '%' {
			continue
		}
		switch format[i+1] {
		case 'd':
			args = append(args, 7)
		case '%':
		default:
			args = append(args, "x@sina.com")
		}
		i++
	}
	return args
}
