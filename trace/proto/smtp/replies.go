package smtp

import (
	"strconv"

	"maillab/trace/proto"
)

// Reply is one reply maillab's SMTP server can send: a three-digit code,
// an enhanced status code (RFC 3463; empty where RFC 2034 leaves it out:
// the greeting, the EHLO reply, 334 and 354) and a text, which may hold
// fmt verbs (%s, %d).
type Reply struct {
	Key      proto.Key
	Code     int
	Enhanced string
	Text     string
}

// Line renders the reply as one line, "250 2.1.5 recipient <x> OK", for
// args. Control characters in the result are replaced, so nothing a client
// sent can inject a line into a reply.
func (r Reply) Line(args ...any) string {
	return r.Prefix(" ") + proto.Fill(r.Text, args...)
}

// Prefix is the start of a reply line with separator sep (" " for the last
// line, "-" for the others): the code and the enhanced code.
func (r Reply) Prefix(sep string) string {
	if r.Enhanced == "" {
		return strconv.Itoa(r.Code) + sep
	}
	return strconv.Itoa(r.Code) + sep + r.Enhanced + " "
}

// The SMTP server's replies. Every reply it sends is one of these; All
// lists them, so tests can check each one is explained.
var (
	Greeting         = Reply{"smtp.greeting", 220, "", "%s ESMTP maillab sandbox ready"}
	Bye              = Reply{"smtp.bye", 221, "2.0.0", "%s closing connection, bye"}
	Hello            = Reply{"smtp.hello", 250, "", "%s greets %s"} // HELO, and the first line of the EHLO reply
	OK               = Reply{"smtp.ok", 250, "2.0.0", "OK"}
	Reset            = Reply{"smtp.reset", 250, "2.0.0", "OK, transaction reset"}
	SenderOK         = Reply{"smtp.sender-ok", 250, "2.1.0", "sender <%s> OK"}
	RecipientOK      = Reply{"smtp.recipient-ok", 250, "2.1.5", "recipient <%s> OK"}
	PostmasterOK     = Reply{"smtp.postmaster-ok", 250, "2.1.5", "recipient <%s> OK, the postmaster reads it"}
	RelayOK          = Reply{"smtp.relay-ok", 250, "2.1.5", "recipient <%s> OK, will relay to %s"}
	DuplicateRcpt    = Reply{"smtp.duplicate-recipient", 250, "2.1.5", "recipient <%s> already given, it gets one copy"}
	Queued           = Reply{"smtp.queued", 250, "2.0.0", "OK, message accepted, queued as %s"}
	Vrfy             = Reply{"smtp.vrfy", 252, "2.5.0", "cannot verify users, but will accept mail and attempt delivery"}
	Help             = Reply{"smtp.help", 214, "2.0.0", "%s"}
	AuthOK           = Reply{"smtp.auth-ok", 235, "2.7.0", "authentication successful"}
	Challenge        = Reply{"smtp.challenge", 334, "", "%s"}
	StartData        = Reply{"smtp.start-data", 354, "", "start mail input; end with <CRLF>.<CRLF>"}
	Idle             = Reply{"smtp.idle", 421, "4.4.2", "%s idle too long, closing connection"}
	TooManyConns     = Reply{"smtp.too-many-conns", 421, "4.7.0", "%s too many connections, try again later"}
	AddressBusy      = Reply{"smtp.address-busy", 421, "4.7.0", "%s too many connections from your address, close some first"}
	AccountBusy      = Reply{"smtp.account-busy", 421, "4.7.0", "%s too many sessions of this account, close some first"}
	TooManyErrors    = Reply{"smtp.too-many-errors", 421, "4.7.0", "%s too many errors, closing connection"}
	TooManyAuth      = Reply{"smtp.too-many-auth", 421, "4.7.0", "%s too many failed logins, closing connection"}
	Shutdown         = Reply{"smtp.shutdown", 421, "4.3.2", "%s shutting down, try again later"}
	Internal         = Reply{"smtp.internal", 421, "4.3.0", "%s internal error, closing connection"}
	StoreFailed      = Reply{"smtp.store-failed", 451, "4.3.0", "message not stored, try again later: %s"}
	TooManyRcpts     = Reply{"smtp.too-many-recipients", 452, "4.5.3", "too many recipients (at most %d per message)"}
	UnknownCmd       = Reply{"smtp.unknown-command", 500, "5.5.1", "command not recognized: %s"}
	LineTooLong      = Reply{"smtp.line-too-long", 500, "5.5.2", "line too long (at most %d octets)"}
	BadArgs          = Reply{"smtp.syntax", 501, "5.5.4", "syntax: %s"}
	BadSender        = Reply{"smtp.bad-sender", 501, "5.1.7", "bad sender address: %s"}
	BadRecipient     = Reply{"smtp.bad-recipient", 501, "5.1.3", "bad recipient address: %s"}
	BadBase64        = Reply{"smtp.bad-base64", 501, "5.5.2", "cannot decode Base64 answer"}
	AuthCancelled    = Reply{"smtp.auth-cancelled", 501, "5.7.0", "authentication cancelled"}
	NotImpl          = Reply{"smtp.not-implemented", 502, "5.5.1", "%s not implemented"}
	NeedHelo         = Reply{"smtp.need-helo", 503, "5.5.1", "bad sequence of commands: say HELO or EHLO first"}
	NeedEhlo         = Reply{"smtp.need-ehlo", 503, "5.5.1", "bad sequence of commands: say EHLO first (AUTH is an ESMTP extension)"}
	SenderGiven      = Reply{"smtp.sender-given", 503, "5.5.1", "bad sequence of commands: sender already given (RSET to start over)"}
	NeedMail         = Reply{"smtp.need-mail", 503, "5.5.1", "bad sequence of commands: need MAIL FROM before RCPT TO"}
	NeedMailData     = Reply{"smtp.need-mail-data", 503, "5.5.1", "bad sequence of commands: need MAIL FROM and RCPT TO before DATA"}
	NeedRcpt         = Reply{"smtp.need-rcpt", 503, "5.5.1", "bad sequence of commands: need RCPT TO before DATA"}
	AlreadyAuth      = Reply{"smtp.already-authenticated", 503, "5.5.1", "bad sequence of commands: already authenticated"}
	AuthInMail       = Reply{"smtp.auth-in-transaction", 503, "5.5.1", "bad sequence of commands: AUTH is not allowed during a mail transaction"}
	BadMechanism     = Reply{"smtp.bad-mechanism", 504, "5.5.4", "unrecognized authentication mechanism %s (try LOGIN or PLAIN)"}
	AuthFailed       = Reply{"smtp.auth-failed", 535, "5.7.8", "authentication credentials invalid"}
	AuthBusy         = Reply{"smtp.auth-busy", 454, "4.7.0", "temporary authentication failure: too many failed logins for this account, try again later"}
	NoSuchUser       = Reply{"smtp.no-such-user", 550, "5.1.1", "<%s>: no such user here"}
	RelayDenied      = Reply{"smtp.relay-denied", 550, "5.7.1", "<%s>: relaying denied, log in first (AUTH) to send to %s"}
	NotOurWorld      = Reply{"smtp.outside-world", 550, "5.7.1", "<%s>: relaying denied, this sandbox delivers only to %s"}
	OverQuota        = Reply{"smtp.over-quota", 552, "5.2.2", "<%s>: mailbox full (its quota is %d octets)"}
	MessageOverQuota = Reply{"smtp.message-over-quota", 552, "5.2.2", "message refused: it would put <%s> over its quota of %d octets"}
	TooBig           = Reply{"smtp.too-big", 552, "5.3.4", "message size exceeds the limit of %d octets"}
	SenderNotOwned   = Reply{"smtp.sender-not-owned", 553, "5.7.1", "<%s>: sender address rejected, not owned by %s"}
	DataLine         = Reply{"smtp.data-line-too-long", 554, "5.6.0", "message has a line longer than %d octets"}
	BadParam         = Reply{"smtp.bad-parameter", 555, "5.5.4", "parameter not recognized: %s"}

	// TLS (RFC 3207).
	ReadyTLS   = Reply{"smtp.ready-tls", 220, "2.0.0", "ready to start TLS"}
	NeedTLS    = Reply{"smtp.need-tls", 530, "5.7.0", "Must issue a STARTTLS command first"}
	NoTLS      = Reply{"smtp.no-tls", 454, "4.7.0", "TLS not available"}
	AlreadyTLS = Reply{"smtp.already-tls", 503, "5.5.1", "bad sequence of commands: TLS is on already"}

	// XFORWARD (Postfix): only the sandbox's own relay may use it.
	XForwardOK     = Reply{"smtp.xforward-ok", 250, "2.0.0", "OK, forwarded attributes noted"}
	XForwardDenied = Reply{"smtp.xforward-denied", 550, "5.7.0", "XFORWARD is only for the sandbox's own relay"}

	// Faults a teacher can inject: the next message to an account gets one.
	FaultBusy     = Reply{"smtp.fault-busy", 450, "4.2.0", "<%s>: mailbox busy, try again later"}
	FaultDisabled = Reply{"smtp.fault-disabled", 550, "5.2.1", "<%s>: mailbox disabled, not accepting messages"}
	FaultFull     = Reply{"smtp.fault-full", 552, "5.2.2", "<%s>: mailbox full"}
)

// Faults are the replies a teacher can inject, for a lesson on retries
// (4xx: the sender's provider keeps the message and tries again) and
// bounces (5xx: the sender gets a report).
var Faults = []Reply{FaultBusy, FaultDisabled, FaultFull}

// All is every reply the SMTP server can send.
var All = []Reply{
	Greeting, Bye, Hello, OK, Reset, SenderOK,
	RecipientOK, PostmasterOK, RelayOK, DuplicateRcpt,
	Queued, Vrfy, Help, AuthOK, Challenge,
	StartData, Idle, TooManyConns, AddressBusy, AccountBusy, TooManyErrors,
	TooManyAuth, Shutdown, Internal, StoreFailed,
	TooManyRcpts, UnknownCmd, LineTooLong, BadArgs,
	BadSender, BadRecipient, BadBase64, AuthCancelled,
	NotImpl, NeedHelo, NeedEhlo, SenderGiven, NeedMail,
	NeedMailData, NeedRcpt, AlreadyAuth, AuthInMail,
	BadMechanism, AuthFailed, AuthBusy, NoSuchUser, RelayDenied,
	NotOurWorld, OverQuota, MessageOverQuota, TooBig, SenderNotOwned, DataLine,
	BadParam, FaultBusy, FaultDisabled, FaultFull,
	ReadyTLS, NeedTLS, NoTLS, AlreadyTLS, XForwardOK, XForwardDenied,
}

// matcher finds replies by code and enhanced code, then text.
type matcher struct {
	key     proto.Key
	pattern proto.Glob
}

var index = func() map[string][]matcher {
	m := map[string][]matcher{}
	for _, r := range All {
		id := fmtCode(r.Code) + " " + r.Enhanced
		m[id] = append(m[id], matcher{r.Key, proto.Pattern(r.Text)})
	}
	return m
}()

func fmtCode(code int) string {
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}

// Identify returns the key of the reply whose first line is line ("250
// 2.1.5 recipient <x> OK" or "250-smtp.sina.com greets x"), or "" when the
// line is no reply of this catalogue (another server's, say).
func Identify(line string) proto.Key {
	if len(line) < 4 || line[3] != ' ' && line[3] != '-' {
		return ""
	}
	code, text := line[:3], line[4:]
	if cands := index[code+" "]; len(cands) > 0 {
		if k := match(cands, text); k != "" {
			return k
		}
	}
	enhanced, rest, ok := cutWord(text)
	if !ok {
		return ""
	}
	return match(index[code+" "+enhanced], rest)
}

func match(cands []matcher, text string) proto.Key {
	for _, c := range cands {
		if c.pattern.MatchString(text) {
			return c.key
		}
	}
	return ""
}

// cutWord splits "2.1.5 text" into "2.1.5" and "text".
func cutWord(s string) (word, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", s != ""
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
