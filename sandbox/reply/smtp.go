package reply

// The SMTP server's replies. Every reply it sends is one of these;
// AllSMTP lists them, so tests can check each one is explained.
var (
	SMTPGreeting       = SMTP{"smtp.greeting", 220, "", "%s ESMTP maillab sandbox ready"}
	SMTPBye            = SMTP{"smtp.bye", 221, "2.0.0", "%s closing connection, bye"}
	SMTPHello          = SMTP{"smtp.hello", 250, "", "%s greets %s"} // HELO, and the first line of the EHLO reply
	SMTPOK             = SMTP{"smtp.ok", 250, "2.0.0", "OK"}
	SMTPReset          = SMTP{"smtp.reset", 250, "2.0.0", "OK, transaction reset"}
	SMTPSenderOK       = SMTP{"smtp.sender-ok", 250, "2.1.0", "sender <%s> OK"}
	SMTPRecipientOK    = SMTP{"smtp.recipient-ok", 250, "2.1.5", "recipient <%s> OK"}
	SMTPPostmasterOK   = SMTP{"smtp.postmaster-ok", 250, "2.1.5", "recipient <%s> OK, the postmaster reads it"}
	SMTPRelayOK        = SMTP{"smtp.relay-ok", 250, "2.1.5", "recipient <%s> OK, will relay to %s"}
	SMTPDuplicateRcpt  = SMTP{"smtp.duplicate-recipient", 250, "2.1.5", "recipient <%s> already given, it gets one copy"}
	SMTPQueued         = SMTP{"smtp.queued", 250, "2.0.0", "OK, message accepted, queued as %s"}
	SMTPVrfy           = SMTP{"smtp.vrfy", 252, "2.5.0", "cannot verify users, but will accept mail and attempt delivery"}
	SMTPHelp           = SMTP{"smtp.help", 214, "2.0.0", "%s"}
	SMTPAuthOK         = SMTP{"smtp.auth-ok", 235, "2.7.0", "authentication successful"}
	SMTPChallenge      = SMTP{"smtp.challenge", 334, "", "%s"}
	SMTPStartData      = SMTP{"smtp.start-data", 354, "", "start mail input; end with <CRLF>.<CRLF>"}
	SMTPIdle           = SMTP{"smtp.idle", 421, "4.4.2", "%s idle too long, closing connection"}
	SMTPTooManyConns   = SMTP{"smtp.too-many-conns", 421, "4.7.0", "%s too many connections, try again later"}
	SMTPTooManyErrors  = SMTP{"smtp.too-many-errors", 421, "4.7.0", "%s too many errors, closing connection"}
	SMTPTooManyAuth    = SMTP{"smtp.too-many-auth", 421, "4.7.0", "%s too many failed logins, closing connection"}
	SMTPShutdown       = SMTP{"smtp.shutdown", 421, "4.3.2", "%s shutting down, try again later"}
	SMTPInternal       = SMTP{"smtp.internal", 421, "4.3.0", "%s internal error, closing connection"}
	SMTPStoreFailed    = SMTP{"smtp.store-failed", 451, "4.3.0", "message not stored, try again later: %s"}
	SMTPTooManyRcpts   = SMTP{"smtp.too-many-recipients", 452, "4.5.3", "too many recipients (at most %d per message)"}
	SMTPUnknownCmd     = SMTP{"smtp.unknown-command", 500, "5.5.1", "command not recognized: %s"}
	SMTPLineTooLong    = SMTP{"smtp.line-too-long", 500, "5.5.2", "line too long (at most %d octets)"}
	SMTPBadArgs        = SMTP{"smtp.syntax", 501, "5.5.4", "syntax: %s"}
	SMTPBadSender      = SMTP{"smtp.bad-sender", 501, "5.1.7", "bad sender address: %s"}
	SMTPBadRecipient   = SMTP{"smtp.bad-recipient", 501, "5.1.3", "bad recipient address: %s"}
	SMTPBadBase64      = SMTP{"smtp.bad-base64", 501, "5.5.2", "cannot decode Base64 answer"}
	SMTPAuthCancelled  = SMTP{"smtp.auth-cancelled", 501, "5.7.0", "authentication cancelled"}
	SMTPNotImpl        = SMTP{"smtp.not-implemented", 502, "5.5.1", "%s not implemented"}
	SMTPNeedHelo       = SMTP{"smtp.need-helo", 503, "5.5.1", "bad sequence of commands: say HELO or EHLO first"}
	SMTPNeedEhlo       = SMTP{"smtp.need-ehlo", 503, "5.5.1", "bad sequence of commands: say EHLO first (AUTH is an ESMTP extension)"}
	SMTPSenderGiven    = SMTP{"smtp.sender-given", 503, "5.5.1", "bad sequence of commands: sender already given (RSET to start over)"}
	SMTPNeedMail       = SMTP{"smtp.need-mail", 503, "5.5.1", "bad sequence of commands: need MAIL FROM before RCPT TO"}
	SMTPNeedMailData   = SMTP{"smtp.need-mail-data", 503, "5.5.1", "bad sequence of commands: need MAIL FROM and RCPT TO before DATA"}
	SMTPNeedRcpt       = SMTP{"smtp.need-rcpt", 503, "5.5.1", "bad sequence of commands: need RCPT TO before DATA"}
	SMTPAlreadyAuth    = SMTP{"smtp.already-authenticated", 503, "5.5.1", "bad sequence of commands: already authenticated"}
	SMTPAuthInMail     = SMTP{"smtp.auth-in-transaction", 503, "5.5.1", "bad sequence of commands: AUTH is not allowed during a mail transaction"}
	SMTPBadMechanism   = SMTP{"smtp.bad-mechanism", 504, "5.5.4", "unrecognized authentication mechanism %s (try LOGIN or PLAIN)"}
	SMTPAuthFailed     = SMTP{"smtp.auth-failed", 535, "5.7.8", "authentication credentials invalid"}
	SMTPNoSuchUser     = SMTP{"smtp.no-such-user", 550, "5.1.1", "<%s>: no such user here"}
	SMTPRelayDenied    = SMTP{"smtp.relay-denied", 550, "5.7.1", "<%s>: relaying denied, log in first (AUTH) to send to %s"}
	SMTPNotOurWorld    = SMTP{"smtp.outside-world", 550, "5.7.1", "<%s>: relaying denied, this sandbox delivers only to %s"}
	SMTPTooBig         = SMTP{"smtp.too-big", 552, "5.3.4", "message size exceeds the limit of %d octets"}
	SMTPSenderNotOwned = SMTP{"smtp.sender-not-owned", 553, "5.7.1", "<%s>: sender address rejected, not owned by %s"}
	SMTPDataLine       = SMTP{"smtp.data-line-too-long", 554, "5.6.0", "message has a line longer than %d octets"}
	SMTPBadParam       = SMTP{"smtp.bad-parameter", 555, "5.5.4", "parameter not recognized: %s"}

	// TLS (RFC 3207).
	SMTPReadyTLS   = SMTP{"smtp.ready-tls", 220, "2.0.0", "ready to start TLS"}
	SMTPNeedTLS    = SMTP{"smtp.need-tls", 530, "5.7.0", "Must issue a STARTTLS command first"}
	SMTPNoTLS      = SMTP{"smtp.no-tls", 454, "4.7.0", "TLS not available"}
	SMTPAlreadyTLS = SMTP{"smtp.already-tls", 503, "5.5.1", "bad sequence of commands: TLS is on already"}

	// Faults a teacher can inject: the next message to an account gets one.
	SMTPFaultBusy     = SMTP{"smtp.fault-busy", 450, "4.2.1", "<%s>: mailbox busy, try again later"}
	SMTPFaultDisabled = SMTP{"smtp.fault-disabled", 550, "5.2.1", "<%s>: mailbox disabled, not accepting messages"}
	SMTPFaultFull     = SMTP{"smtp.fault-full", 552, "5.2.2", "<%s>: mailbox full"}
)

// Faults are the replies a teacher can inject, for a lesson on retries
// (4xx: the sender's provider keeps the message and tries again) and
// bounces (5xx: the sender gets a report).
var Faults = []SMTP{SMTPFaultBusy, SMTPFaultDisabled, SMTPFaultFull}

// AllSMTP is every reply the SMTP server can send.
var AllSMTP = []SMTP{
	SMTPGreeting, SMTPBye, SMTPHello, SMTPOK, SMTPReset, SMTPSenderOK,
	SMTPRecipientOK, SMTPPostmasterOK, SMTPRelayOK, SMTPDuplicateRcpt,
	SMTPQueued, SMTPVrfy, SMTPHelp, SMTPAuthOK, SMTPChallenge,
	SMTPStartData, SMTPIdle, SMTPTooManyConns, SMTPTooManyErrors,
	SMTPTooManyAuth, SMTPShutdown, SMTPInternal, SMTPStoreFailed,
	SMTPTooManyRcpts, SMTPUnknownCmd, SMTPLineTooLong, SMTPBadArgs,
	SMTPBadSender, SMTPBadRecipient, SMTPBadBase64, SMTPAuthCancelled,
	SMTPNotImpl, SMTPNeedHelo, SMTPNeedEhlo, SMTPSenderGiven, SMTPNeedMail,
	SMTPNeedMailData, SMTPNeedRcpt, SMTPAlreadyAuth, SMTPAuthInMail,
	SMTPBadMechanism, SMTPAuthFailed, SMTPNoSuchUser, SMTPRelayDenied,
	SMTPNotOurWorld, SMTPTooBig, SMTPSenderNotOwned, SMTPDataLine,
	SMTPBadParam, SMTPFaultBusy, SMTPFaultDisabled, SMTPFaultFull,
	SMTPReadyTLS, SMTPNeedTLS, SMTPNoTLS, SMTPAlreadyTLS,
}

// smtpMatcher finds SMTP replies by code and enhanced code, then text.
type smtpMatcher struct {
	key     Key
	pattern glob
}

var smtpIndex = func() map[string][]smtpMatcher {
	m := map[string][]smtpMatcher{}
	for _, r := range AllSMTP {
		id := fmtCode(r.Code) + " " + r.Enhanced
		m[id] = append(m[id], smtpMatcher{r.Key, pattern(r.Text)})
	}
	return m
}()

func fmtCode(code int) string {
	return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
}

// IdentifySMTP returns the key of the reply whose first line is line
// ("250 2.1.5 recipient <x> OK" or "250-smtp.sina.com greets x"), or ""
// when the line is no reply of this catalogue (another server's, say).
func IdentifySMTP(line string) Key {
	if len(line) < 4 || line[3] != ' ' && line[3] != '-' {
		return ""
	}
	code, text := line[:3], line[4:]
	if cands := smtpIndex[code+" "]; len(cands) > 0 {
		if k := match(cands, text); k != "" {
			return k
		}
	}
	enhanced, rest, ok := cutWord(text)
	if !ok {
		return ""
	}
	return match(smtpIndex[code+" "+enhanced], rest)
}

func match(cands []smtpMatcher, text string) Key {
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
