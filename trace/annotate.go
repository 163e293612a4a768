package trace

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"sync"
	"unicode/utf8"

	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// Limits of the Annotator's memory: a folded header's value is kept up to
// maxHeaderValue octets, and at most maxConversations sessions are
// followed at once (a session is forgotten when its connection closes).
const (
	maxHeaderValue   = 4 << 10
	maxConversations = 4096
)

// Annotator writes a Note on each Event: what the line means, with any
// Base64 or encoded-word in it decoded. It follows each session's
// conversation, so it knows an AUTH answer from a command and a header from
// a body line. It is safe for concurrent use.
type Annotator struct {
	mu       sync.Mutex
	p        *i18n.Printer // the notes' language
	sessions map[string]*conversation
}

// NewAnnotator returns an Annotator writing English notes.
func NewAnnotator() *Annotator { return NewAnnotatorIn(nil) }

// NewAnnotatorIn returns an Annotator writing notes in p's language (nil:
// English).
func NewAnnotatorIn(p *i18n.Printer) *Annotator {
	return &Annotator{p: i18n.Or(p), sessions: make(map[string]*conversation)}
}

// conversation is what the Annotator remembers of one session.
type conversation struct {
	p           *i18n.Printer
	authAnswers int      // Base64 answers still expected in an AUTH exchange
	message     *message // the message being sent (DATA) or retrieved (RETR, TOP)
	loggedIn    bool     // POP3: PASS was answered +OK
	wireSeen    bool     // what an eavesdropper sees was explained
}

// Annotate sets e.Note (when not already set).
func (a *Annotator) Annotate(e *Event) {
	if e.Note != "" {
		return
	}
	if e.Kind == Internal && e.Proto == "" {
		e.Note = actionNote(a.p, e)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := e.Session + "|" + e.Proto + "|" + e.Client() + "|" + e.Server()
	c := a.sessions[key]
	if e.Kind == Internal {
		if e.Action == Closed {
			delete(a.sessions, key)
		}
		e.Note = actionNote(a.p, e)
		if e.Action == Wire && c != nil {
			if c.wireSeen {
				e.Note = "" // explained once a session
			}
			c.wireSeen = true
		}
		return
	}
	if c == nil {
		c = a.start(key)
	}
	switch e.Proto {
	case SMTP:
		e.Note = c.smtp(e)
	case POP3:
		e.Note = c.pop3(e)
	}
}

// start begins following a session, forgetting an arbitrary one when too
// many are open (their connections never reported closing).
func (a *Annotator) start(key string) *conversation {
	if len(a.sessions) >= maxConversations {
		for k := range a.sessions {
			delete(a.sessions, k)
			break
		}
	}
	c := &conversation{p: a.p}
	a.sessions[key] = c
	return c
}

// Sessions returns how many conversations the Annotator follows now.
func (a *Annotator) Sessions() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.sessions)
}

func (c *conversation) smtp(e *Event) string {
	switch e.Kind {
	case Reply:
		if e.Status != "334" {
			c.authAnswers = 0 // the exchange is over
		}
		return smtpReplyNote(c.p, e)
	case Data:
		if e.Line == "." {
			c.message = nil
			return c.p.Tr("the end of the message: the server answers for the whole of it")
		}
		return c.dataLine(e.Line, "RFC 5321 4.5.2")
	}
	if c.authAnswers > 0 {
		c.authAnswers--
		return authAnswerNote(c.p, e.Line)
	}
	c.startAuth(e.Line)
	if strings.EqualFold(strings.TrimSpace(e.Line), "DATA") {
		c.message = c.newMessage()
	}
	return smtpCommandNote(c.p, e.Line)
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

func (c *conversation) pop3(e *Event) string {
	switch e.Kind {
	case Command:
		return pop3CommandNote(c.p, e.Line, c.loggedIn, e.TLS)
	case Data:
		return c.pop3Data(e)
	}
	verb := strings.ToUpper(Verb(e.Answers))
	ok := e.Status == "+OK"
	if verb == "PASS" && ok {
		c.loggedIn = true
	}
	if ok && (verb == "RETR" || verb == "TOP") {
		c.message = c.newMessage()
	}
	return pop3ReplyNote(c.p, e)
}

func (c *conversation) pop3Data(e *Event) string {
	if e.Line == "." {
		c.message = nil
		return c.p.Tr("a line with only '.': the end of the answer")
	}
	switch strings.ToUpper(Verb(e.Answers)) {
	case "RETR", "TOP":
		return c.dataLine(e.Line, "RFC 1939 section 3")
	}
	return pop3DataNote(c.p, e.Line, e.Answers)
}

// dataLine explains a line of a message as it crossed the wire (after
// DATA, or in an answer to RETR): dot-stuffing undone and explained.
func (c *conversation) dataLine(wire, rfc string) string {
	line, stuffed := strings.CutPrefix(wire, ".")
	m := c.message
	if m == nil {
		m = c.newMessage()
		c.message = m
	}
	var note string
	if m.inHeaders {
		note = m.headerLine(line)
	} else {
		note = m.bodyLine(line)
	}
	if stuffed {
		note += c.p.Trf("; the leading '.' is doubled on the wire (dot-stuffing, %s) so the line is not taken for the end, and the receiver removes it", rfc)
	}
	return note
}

// newMessage starts following a message's lines.
func (c *conversation) newMessage() *message { return &message{p: c.p, inHeaders: true} }

// message tracks the lines of one message: headers, then the body, part by
// part. A header's value is kept (up to maxHeaderValue) until the field
// ends, and read once.
type message struct {
	p         *i18n.Printer
	inHeaders bool
	header    string          // the field being read, lower case
	value     strings.Builder // its value so far, unfolded
	mediaType string          // of the current part
	encoding  string          // Content-Transfer-Encoding of the current part
	charset   string          // charset of the current part
	boundary  string          // the multipart boundary, if any
}

// headerLine explains one line of the header section.
func (m *message) headerLine(line string) string {
	if line == "" {
		m.endField()
		m.inHeaders = false
		return m.p.Tr("blank line: the headers end here, the body follows")
	}
	if line[0] == ' ' || line[0] == '\t' {
		if m.value.Len() < maxHeaderValue {
			m.value.WriteString(" " + strings.TrimSpace(line))
		}
		return m.p.Tr("…continued: a long header folded onto the next line") + wordsNote(m.p, line)
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok || strings.ContainsAny(name, " \t") || name == "" {
		m.endField()
		m.inHeaders = false
		return m.p.Tr("body (no blank line came first, so the headers ended here)")
	}
	m.endField()
	m.header = strings.ToLower(name)
	value = strings.TrimSpace(value)
	m.value.WriteString(value[:min(len(value), maxHeaderValue)])
	return headerNote(m.p, m.header, value) + wordsNote(m.p, value)
}

// endField reads the MIME facts the finished field gives, if any.
func (m *message) endField() {
	value := m.value.String()
	m.value.Reset()
	switch m.header {
	case "content-transfer-encoding":
		m.encoding = strings.ToLower(strings.TrimSpace(value))
	case "content-type":
		mediaType, params, err := mime.ParseMediaType(value)
		if err != nil {
			return
		}
		m.mediaType = mediaType
		if cs := params["charset"]; cs != "" {
			m.charset = cs
		}
		if b := params["boundary"]; b != "" {
			m.boundary = b
		}
	}
	m.header = ""
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

// bodyLine explains one body line: MIME boundaries, the fields of a
// delivery report, and Base64 or quoted-printable decoded when the headers
// said so.
func (m *message) bodyLine(line string) string {
	if m.boundary != "" && strings.HasPrefix(line, "--"+m.boundary) {
		if strings.HasPrefix(line, "--"+m.boundary+"--") {
			return m.p.Tr("the end of the last MIME part")
		}
		m.inHeaders, m.encoding, m.charset, m.mediaType = true, "", "", ""
		return m.p.Tr("boundary: a new MIME part starts, with its own headers")
	}
	switch m.mediaType {
	case "message/delivery-status":
		return dsnFieldNote(m.p, line)
	case "text/rfc822-headers":
		return m.p.Tr("a header of the message that failed, sent back so its sender can tell which one it was")
	}
	switch m.encoding {
	case "base64":
		if b, err := decode.Base64(line); err == nil && len(b) > 0 {
			return m.p.Trf("body, Base64: decodes to '%s'", m.text(b))
		}
	case "quoted-printable":
		if b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(line))); err == nil && string(b) != line {
			return m.p.Trf("body, quoted-printable: decodes to '%s'", m.text(b))
		}
	}
	return m.p.Tr("body")
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
