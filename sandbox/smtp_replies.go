package sandbox

// SMTPReply is one reply the SMTP server can send: a three-digit code, an
// enhanced status code (RFC 3463; empty where RFC 2034 leaves it out: the
// greeting, EHLO, 334 and 354) and a text, which may hold fmt verbs.
type SMTPReply struct {
	Code     int
	Enhanced string
	Text     string
}

// The server's replies. Every reply it sends is one of these; SMTPReplies
// lists them all so that tests can check each one is explained.
var (
	replyGreeting      = SMTPReply{220, "", "%s ESMTP maillab sandbox ready"}
	replyBye           = SMTPReply{221, "2.0.0", "%s closing connection, bye"}
	replyHelo          = SMTPReply{250, "", "%s greets %s"}
	replyEhlo          = SMTPReply{250, "", "%s greets %s"} // first line of the multi-line EHLO reply
	replyOK            = SMTPReply{250, "2.0.0", "OK"}
	replyReset         = SMTPReply{250, "2.0.0", "OK, transaction reset"}
	replySenderOK      = SMTPReply{250, "2.1.0", "sender <%s> OK"}
	replyRecipientOK   = SMTPReply{250, "2.1.5", "recipient <%s> OK"}
	replyRelayOK       = SMTPReply{250, "2.1.5", "recipient <%s> OK, will relay to %s"}
	replyQueued        = SMTPReply{250, "2.0.0", "OK, message accepted, queued as %s"}
	replyVrfy          = SMTPReply{252, "2.5.0", "cannot verify users, but will accept mail and attempt delivery"}
	replyHelp          = SMTPReply{214, "2.0.0", "%s"}
	replyAuthOK        = SMTPReply{235, "2.7.0", "authentication successful"}
	replyAuthChallenge = SMTPReply{334, "", "%s"}
	replyStartData     = SMTPReply{354, "", "start mail input; end with <CRLF>.<CRLF>"}
	replyIdle          = SMTPReply{421, "4.4.2", "%s idle too long, closing connection"}
	replyTooManyConns  = SMTPReply{421, "4.7.0", "%s too many connections, try again later"}
	replyTooManyErrors = SMTPReply{421, "4.7.0", "%s too many errors, closing connection"}
	replyTooManyAuth   = SMTPReply{421, "4.7.0", "%s too many failed logins, closing connection"}
	replyShutdown      = SMTPReply{421, "4.3.2", "%s shutting down, try again later"}
	replyInternal      = SMTPReply{421, "4.3.0", "%s internal error, closing connection"}
	replyStoreFailed   = SMTPReply{451, "4.3.0", "message not stored, try again later: %s"}
	replyTooManyRcpts  = SMTPReply{452, "4.5.3", "too many recipients (at most %d per message)"}
	replyUnknownCmd    = SMTPReply{500, "5.5.1", "command not recognized: %s"}
	replyLineTooLong   = SMTPReply{500, "5.5.2", "line too long (at most %d octets)"}
	replyBadArgs       = SMTPReply{501, "5.5.4", "syntax: %s"}
	replyBadSender     = SMTPReply{501, "5.1.7", "bad sender address: %s"}
	replyBadRecipient  = SMTPReply{501, "5.1.3", "bad recipient address: %s"}
	replyBadBase64     = SMTPReply{501, "5.5.2", "cannot decode Base64 answer"}
	replyAuthCancelled = SMTPReply{501, "5.7.0", "authentication cancelled"}
	replyNotImpl       = SMTPReply{502, "5.5.1", "%s not implemented"}
	replyBadSequence   = SMTPReply{503, "5.5.1", "bad sequence of commands: %s"}
	replyBadMechanism  = SMTPReply{504, "5.5.4", "unrecognized authentication mechanism %s (try LOGIN or PLAIN)"}
	replyAuthFailed    = SMTPReply{535, "5.7.8", "authentication credentials invalid"}
	replyNoSuchUser    = SMTPReply{550, "5.1.1", "<%s>: no such user here"}
	replyRelayDenied   = SMTPReply{550, "5.7.1", "<%s>: relaying denied, log in first (AUTH) to send to %s"}
	replyNotOurWorld   = SMTPReply{550, "5.7.1", "<%s>: relaying denied, this sandbox delivers only to %s"}
	replyTooBig        = SMTPReply{552, "5.3.4", "message size exceeds the limit of %d octets"}
	replyDataLine      = SMTPReply{554, "5.6.0", "message has a line longer than %d octets"}
	replyBadParam      = SMTPReply{555, "5.5.4", "parameter not recognized: %s"}
)

// SMTPReplies is every reply the SMTP server can send.
var SMTPReplies = []SMTPReply{
	replyGreeting, replyBye, replyHelo, replyEhlo, replyOK, replyReset,
	replySenderOK, replyRecipientOK, replyRelayOK, replyQueued, replyVrfy,
	replyHelp, replyAuthOK, replyAuthChallenge, replyStartData, replyIdle,
	replyTooManyConns, replyTooManyErrors, replyTooManyAuth, replyShutdown,
	replyInternal, replyStoreFailed, replyTooManyRcpts, replyUnknownCmd,
	replyLineTooLong, replyBadArgs, replyBadSender, replyBadRecipient,
	replyBadBase64, replyAuthCancelled, replyNotImpl, replyBadSequence,
	replyBadMechanism, replyAuthFailed, replyNoSuchUser, replyRelayDenied,
	replyNotOurWorld, replyTooBig, replyDataLine, replyBadParam,
}

// smtpHelpText is the HELP reply: one line per command.
var smtpHelpText = []string{
	"commands: HELO EHLO AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
	"send mail: EHLO me, AUTH LOGIN, MAIL FROM:<you@sohu.com>, RCPT TO:<them@sina.com>, DATA, QUIT",
}
