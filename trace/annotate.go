package trace

import (
	"io"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Annotator writes a Note on each Event: what the line means, with any
// Base64 or encoded-word in it decoded. It reads what the protocol's
// Follower marked on the line (a command, an answer to a login challenge,
// a header or body line of a message, the command a reply answers) and
// keeps nothing between lines, so it is safe for concurrent use and costs
// nothing per session.
type Annotator struct {
	p *i18n.Printer // the notes' language
}

// NewAnnotator returns an Annotator writing English notes.
func NewAnnotator() *Annotator { return NewAnnotatorIn(nil) }

// NewAnnotatorIn returns an Annotator writing notes in p's language (nil:
// English).
func NewAnnotatorIn(p *i18n.Printer) *Annotator {
	return &Annotator{p: i18n.Or(p)}
}

// Annotate sets e.Note (when not already set).
func (a *Annotator) Annotate(e *Event) {
	if e.Note != "" {
		return
	}
	switch {
	case e.Kind == Internal:
		if !e.Repeat {
			e.Note = actionNote(a.p, e)
		}
	case e.Proto == SMTP:
		e.Note = smtpNote(a.p, e)
	case e.Proto == POP3:
		e.Note = pop3Note(a.p, e)
	}
}

// smtpNote explains a line of an SMTP session.
func smtpNote(p *i18n.Printer, e *Event) string {
	switch {
	case e.Kind == Reply:
		return smtpReplyNote(p, e)
	case e.Kind == Data && e.Line == ".":
		return p.Tr("the end of the message: the server answers for the whole of it")
	case e.Kind == Data && looksLikeCommand(e.Line) && (e.Content == nil || !e.Content.Header):
		return p.Trf("a line of the message, though it looks like the command %s: the message is still being sent, and only a line with a single '.' ends it (RFC 5321 4.1.1.4)", strings.ToUpper(proto.Verb(e.Line)))
	case e.Kind == Data:
		return contentNote(p, e.Content, e.Line, "RFC 5321 4.5.2")
	case e.Challenge:
		return authAnswerNote(p, e.Line)
	}
	return smtpCommandNote(p, e.Line)
}

// pop3Note explains a line of a POP3 session.
func pop3Note(p *i18n.Printer, e *Event) string {
	switch {
	case e.Kind == Reply:
		return pop3ReplyNote(p, e)
	case e.Kind == Data && e.Line == ".":
		return p.Tr("a line with only '.': the end of the answer")
	case e.Kind == Data && e.Content != nil:
		return contentNote(p, e.Content, e.Line, "RFC 1939 section 3")
	case e.Kind == Data:
		return pop3DataNote(p, e.Line, e.Answers)
	case e.Challenge:
		return authAnswerNote(p, e.Line)
	}
	return pop3CommandNote(p, e.Line, e.LoggedIn, e.TLS)
}

// contentNote explains a line of a message as it crossed the wire (after
// DATA, or in an answer to RETR), from where the Follower found it in the
// message: a header, the blank line, a MIME boundary, a body line decoded
// as its part's header said; dot-stuffing explained.
func contentNote(p *i18n.Printer, c *proto.Content, wire, rfc string) string {
	if c == nil {
		return p.Tr("body")
	}
	line := strings.TrimPrefix(wire, ".")
	if !c.Stuffed {
		line = wire
	}
	note := contentLineNote(p, c, line)
	if c.Stuffed {
		note += p.Trf("; the leading '.' is doubled on the wire (dot-stuffing, %s) so the line is not taken for the end, and the receiver removes it", rfc)
	}
	return note
}

// looksLikeCommand reports whether a line of a message is an SMTP command
// the sender may have meant to give (having forgotten the final '.').
func looksLikeCommand(line string) bool {
	word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
	if len(word) != 4 {
		return false // every verb below has four letters: most body lines end here, cheaply
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToUpper(word) {
	case "QUIT", "RSET", "DATA":
		return rest == ""
	case "EHLO", "HELO":
		return rest != "" && !strings.Contains(rest, " ")
	case "MAIL", "RCPT":
		upper := strings.ToUpper(line)
		return strings.HasPrefix(upper, "MAIL FROM:") || strings.HasPrefix(upper, "RCPT TO:")
	}
	return false
}

func contentLineNote(p *i18n.Printer, c *proto.Content, line string) string {
	switch {
	case c.EndOfHeader:
		return p.Tr("blank line: the headers end here, the body follows")
	case c.Folded:
		return p.Tr("…continued: a long header folded onto the next line") + wordsNote(p, line)
	case c.Header:
		_, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		return headerNote(p, c.Field, value) + wordsNote(p, value)
	case c.NoBlank:
		return p.Tr("body (no blank line came first, so the headers ended here)")
	case c.Boundary == "end":
		return p.Tr("the end of the last MIME part")
	case c.Boundary == "part":
		return p.Tr("boundary: a new MIME part starts, with its own headers")
	}
	return bodyNote(p, c, line)
}

// wordsNote decodes RFC 2047 words in a header value, if any.
func wordsNote(p *i18n.Printer, value string) string {
	if !decode.HasWords(value) {
		return ""
	}
	text, err := decode.Header(value)
	if err != nil {
		return p.Trf("; its encoded-word does not decode: %s", err.Error())
	}
	return p.Trf("; decodes to '%s'", text)
}

// bodyNote explains one body line: the fields of a delivery report, and
// Base64 or quoted-printable decoded when its part's header said so.
func bodyNote(p *i18n.Printer, c *proto.Content, line string) string {
	switch c.MediaType {
	case "message/delivery-status":
		return dsnFieldNote(p, line)
	case "text/rfc822-headers":
		if strings.TrimSpace(line) == "" {
			return p.Tr("blank line: the returned headers end here (only the headers come back, not the body)")
		}
		return p.Tr("a header of the message that failed, sent back so its sender can tell which one it was")
	}
	switch c.Encoding {
	case "base64":
		if b, err := decode.Base64(line); err == nil && len(b) > 0 {
			return p.Trf("body, Base64: decodes to '%s'", bodyText(b, c.Charset))
		}
	case "quoted-printable":
		if b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(line))); err == nil && string(b) != line {
			return p.Trf("body, quoted-printable: decodes to '%s'", bodyText(b, c.Charset))
		}
	}
	return p.Tr("body")
}

// bodyText turns body bytes into text with the part's charset.
func bodyText(b []byte, charset string) string {
	if charset != "" {
		if cs, err := decode.LookupCharset(charset); err == nil {
			if s, err := cs.Text(b); err == nil {
				return strings.TrimRight(s, "\r\n")
			}
		}
	}
	return strings.TrimRight(strings.ToValidUTF8(string(b), "�"), "\r\n")
}

// base64Text decodes s and returns it when it is printable text.
func base64Text(s string) (string, bool) {
	if strings.TrimSpace(s) == "" {
		return "", false
	}
	b, err := decode.Base64(s)
	if err != nil {
		return "", false
	}
	return printableText(b)
}

func printableText(b []byte) (string, bool) {
	if !utf8.Valid(b) {
		return "", false
	}
	for _, r := range string(b) {
		if r < ' ' && r != '\t' && r != 0 {
			return "", false
		}
	}
	return string(b), true
}
