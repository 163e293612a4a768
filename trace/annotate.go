package trace

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"sync"
	"unicode/utf8"

	"maillab/trace/decode"
)

// Annotator writes a Note on each Event: what the line means, with any
// Base64 or encoded-word in it decoded. It follows each session's
// conversation, so it knows an AUTH answer from a command and a header from
// a body line. It is safe for concurrent use.
type Annotator struct {
	mu       sync.Mutex
	sessions map[string]*conversation
}

// NewAnnotator returns an Annotator with no sessions yet.
func NewAnnotator() *Annotator {
	return &Annotator{sessions: make(map[string]*conversation)}
}

// conversation is what the Annotator remembers of one session.
type conversation struct {
	authAnswers  int      // Base64 answers still expected in an AUTH exchange
	message      *message // the message being sent (DATA) or retrieved (RETR, TOP)
	pending      []string // POP3 commands not yet answered
	answering    string   // POP3 command whose multi-line answer is flowing
	lastAnswered string   // POP3 verb the last status line answered
	greeted      bool
}

// message tracks the lines of one message: headers, then the body.
type message struct {
	inHeaders bool
	header    string // the field being read, for folded lines
	value     string // its value so far
	encoding  string // Content-Transfer-Encoding of the body
	charset   string // charset of the body
	boundary  string // multipart boundary, if any
}

// Annotate sets e.Note (when not already set).
func (a *Annotator) Annotate(e *Event) {
	if e.Note != "" {
		return
	}
	if e.Kind == Internal {
		e.Note = internalNote(e.Line)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c, key := a.conversation(e)
	switch e.Proto {
	case "SMTP":
		e.Note = c.smtp(e)
	case "POP3":
		e.Note = c.pop3(e)
	}
	if ends(e, c) {
		delete(a.sessions, key)
	}
}

// conversation finds (or starts) the conversation an Event belongs to.
func (a *Annotator) conversation(e *Event) (*conversation, string) {
	client, server := e.From, e.To
	if e.Kind == Reply || e.Kind == Data && e.Proto == "POP3" {
		client, server = e.To, e.From
	}
	key := e.Session + "|" + e.Proto + "|" + client + "|" + server
	c := a.sessions[key]
	if c == nil {
		c = &conversation{}
		a.sessions[key] = c
	}
	return c, key
}

// ends reports whether a server line closes the conversation (221, 421,
// or POP3's answer to QUIT), after which the Annotator forgets it, so a
// long-running wiretap does not grow.
func ends(e *Event, c *conversation) bool {
	if e.Kind != Reply {
		return false
	}
	if e.Proto == "SMTP" {
		return strings.HasPrefix(e.Line, "221") || strings.HasPrefix(e.Line, "421")
	}
	return c.lastAnswered == "QUIT" || strings.Contains(e.Line, "closing connection")
}

func (c *conversation) smtp(e *Event) string {
	switch e.Kind {
	case Reply:
		if code, _, _ := splitReply(e.Line); code != "334" {
			c.authAnswers = 0 // the exchange is over
		}
		note, _ := SMTPReplyNote(e.Line)
		return note
	case Data:
		return c.dataLine(e.Line, "the end of the message: the server answers for the whole of it")
	}
	if c.authAnswers > 0 {
		c.authAnswers--
		return authAnswerNote(e.Line)
	}
	c.startAuth(e.Line)
	if strings.EqualFold(strings.TrimSpace(e.Line), "DATA") {
		c.message = &message{inHeaders: true}
	}
	return smtpCommandNote(e.Line)
}

// startAuth counts the answers an AUTH command will be followed by.
func (c *conversation) startAuth(line string) {
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	if !strings.EqualFold(verb, "AUTH") {
		return
	}
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch {
	case strings.EqualFold(mech, "LOGIN") && initial == "":
		c.authAnswers = 2
	case strings.EqualFold(mech, "LOGIN"), strings.EqualFold(mech, "PLAIN") && initial == "":
		c.authAnswers = 1
	}
}

// authAnswerNote decodes a client's answer to a 334 challenge.
func authAnswerNote(line string) string {
	s := strings.TrimSpace(line)
	switch {
	case s == "*":
		return "'*' cancels the login"
	case strings.Contains(s, " "):
		return "an answer to a challenge must be Base64 alone"
	}
	b, err := decode.Base64(s)
	if err != nil {
		return "not valid Base64: " + err.Error()
	}
	if strings.Contains(string(b), "\x00") {
		return plainNote(s)
	}
	if text, ok := printableText(b); ok {
		return "Base64 of '" + text + "'"
	}
	return "Base64 of bytes that are not text (was its letter case changed?)"
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

func (c *conversation) pop3(e *Event) string {
	switch e.Kind {
	case Command:
		c.pending = append(c.pending, e.Line)
		return pop3CommandNote(e.Line)
	case Data:
		return c.pop3Data(e.Line)
	}
	if !c.greeted {
		c.greeted = true
		return pop3ReplyNote(e.Line, "")
	}
	cmd := "?" // an answer to no command we saw
	if len(c.pending) > 0 {
		cmd, c.pending = c.pending[0], c.pending[1:]
	}
	c.lastAnswered = strings.ToUpper(firstWord(cmd))
	if strings.HasPrefix(e.Line, "+OK") && POP3MultiLine(cmd) {
		c.answering = cmd
		if verb := strings.ToUpper(strings.Fields(cmd)[0]); verb == "RETR" || verb == "TOP" {
			c.message = &message{inHeaders: true}
		}
	}
	return pop3ReplyNote(e.Line, cmd)
}

func (c *conversation) pop3Data(line string) string {
	verb := strings.ToUpper(firstWord(c.answering))
	if line == "." {
		c.message = nil
		return "a line with only '.': the end of the answer"
	}
	if verb == "RETR" || verb == "TOP" {
		return c.dataLine(strings.TrimPrefix(line, "."), "")
	}
	return pop3DataNote(line, c.answering)
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return w
}

// dataLine explains a line of a message (after DATA, or in RETR). end is
// the note for the "." line, or "" when the caller handles it.
func (c *conversation) dataLine(line, end string) string {
	if line == "." && end != "" {
		c.message = nil
		return end
	}
	m := c.message
	if m == nil {
		m = &message{inHeaders: true}
		c.message = m
	}
	if m.inHeaders {
		return m.headerLine(line)
	}
	return m.bodyLine(line)
}

// headerLine explains one line of the header section.
func (m *message) headerLine(line string) string {
	if line == "" {
		m.inHeaders = false
		return "blank line: the headers end here, the body follows"
	}
	if line[0] == ' ' || line[0] == '\t' {
		m.value += " " + strings.TrimSpace(line)
		m.remember(m.header, m.value)
		return "…continued: a long header folded onto the next line" + wordsNote(line)
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok || strings.ContainsAny(name, " \t") {
		m.inHeaders = false
		return "body (no blank line came first, so the headers ended here)"
	}
	m.header = strings.ToLower(name)
	value = strings.TrimSpace(value)
	m.value = value
	m.remember(m.header, value)
	return headerNote(m.header, value) + wordsNote(value)
}

// remember keeps the MIME facts needed to decode the body.
func (m *message) remember(field, value string) {
	switch field {
	case "content-transfer-encoding":
		m.encoding = strings.ToLower(value)
	case "content-type":
		if _, params, err := mime.ParseMediaType(value); err == nil {
			if cs := params["charset"]; cs != "" {
				m.charset = cs
			}
			if b := params["boundary"]; b != "" {
				m.boundary = b
			}
		}
	}
}

// headerNote explains a header field.
func headerNote(field, value string) string {
	switch field {
	case "from":
		return "header From: who wrote it, as mail programs show it (MAIL FROM in the envelope may differ)"
	case "to":
		return "header To: who it is for, as shown (RCPT TO in the envelope decides delivery)"
	case "cc":
		return "header Cc: copies, as shown"
	case "subject":
		return "header Subject: the subject line"
	case "date":
		return "header Date: when it was written"
	case "message-id":
		return "header Message-ID: a unique name for this message"
	case "received":
		return "header Received: added by each server on the way (the newest is on top)"
	case "return-path":
		return "header Return-Path: the envelope sender, recorded at delivery"
	case "mime-version":
		return "header MIME-Version: the body follows MIME (RFC 2045)"
	case "content-type":
		return "header Content-Type: what the body is, and its charset"
	case "content-transfer-encoding":
		return "header Content-Transfer-Encoding: how the body is encoded for the trip (" + value + ")"
	case "reply-to":
		return "header Reply-To: where replies should go"
	}
	return "header " + field
}

// wordsNote decodes RFC 2047 words in a header value, if any.
func wordsNote(value string) string {
	if !decode.HasWords(value) {
		return ""
	}
	text, err := decode.Header(value)
	if err != nil {
		return "; its encoded-word does not decode: " + err.Error()
	}
	return "; decodes to '" + text + "'"
}

// bodyLine explains one body line, decoding Base64 or quoted-printable
// when the headers said so.
func (m *message) bodyLine(line string) string {
	if m.boundary != "" && strings.HasPrefix(line, "--"+m.boundary) {
		if strings.HasPrefix(line, "--"+m.boundary+"--") {
			return "the end of the last MIME part"
		}
		m.inHeaders, m.encoding, m.charset = true, "", ""
		return "boundary: a new MIME part starts, with its own headers"
	}
	switch m.encoding {
	case "base64":
		if b, err := decode.Base64(line); err == nil && len(b) > 0 {
			return "body, Base64: decodes to '" + m.text(b) + "'"
		}
	case "quoted-printable":
		if b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(line))); err == nil && string(b) != line {
			return "body, quoted-printable: decodes to '" + m.text(b) + "'"
		}
	}
	return "body"
}

// text turns body bytes into text with the part's charset.
func (m *message) text(b []byte) string {
	if m.charset != "" {
		if cs, err := decode.LookupCharset(m.charset); err == nil {
			if s, err := cs.Text(b); err == nil {
				return strings.TrimRight(s, "\r\n")
			}
		}
	}
	return strings.TrimRight(strings.ToValidUTF8(string(b), "�"), "\r\n")
}

// internalNote explains a sandbox action.
func internalNote(line string) string {
	switch {
	case strings.HasPrefix(line, "MX look-up"):
		return "on the internet this is a DNS query for the domain's MX record"
	case strings.HasPrefix(line, "relayed"):
		return "the next server said 250: the message is its responsibility now"
	case strings.Contains(line, "queued"):
		return "the server has taken responsibility for the message: it must deliver it or send a bounce"
	case strings.HasPrefix(line, "stored"):
		return "the message waits in the mailbox until its owner fetches it"
	case strings.Contains(line, "deferred"):
		return "a temporary failure: the message stays queued and is tried again"
	case strings.Contains(line, "undeliverable"):
		return "a permanent failure: the sender gets a bounce (a delivery status notification)"
	case strings.HasPrefix(line, "opened"):
		return "the POP3 server reads the mailbox's list of messages and locks it"
	case strings.HasPrefix(line, "read message"):
		return "the POP3 server reads the message out of the mailbox"
	case strings.Contains(line, "without QUIT"):
		return "RFC 1939: messages are deleted only after QUIT; a dropped connection deletes nothing"
	case strings.HasPrefix(line, "deleted"):
		return "messages marked with DELE are removed at QUIT"
	}
	return ""
}
