package proto

import (
	"mime"
	"strings"
)

// maxFieldValue bounds what a Message keeps of one header field's value
// while its folded lines come in: enough for any Content-Type, and a
// hostile folded header costs no more.
const maxFieldValue = 4 << 10

// Content says where a line of a message is in the message's structure
// (RFC 5322 header and body, RFC 2045/2046 MIME parts).
type Content struct {
	// Header marks a line of a header section (the message's or a MIME
	// part's); Field is the field it starts or continues, in lower case.
	Header bool   `json:"header,omitempty"`
	Field  string `json:"field,omitempty"`
	// Folded marks a header line that continues the field before it.
	Folded bool `json:"folded,omitempty"`
	// EndOfHeader marks the blank line that ends a header section.
	EndOfHeader bool `json:"end_of_header,omitempty"`
	// NoBlank marks a body line that came where a header was expected: the
	// header section ended without its blank line.
	NoBlank bool `json:"no_blank,omitempty"`
	// Boundary is "part" for a line that starts a MIME part, "end" for the
	// one that closes the last part.
	Boundary string `json:"boundary,omitempty"`
	// The part a body line belongs to: its media type, transfer encoding
	// and charset, as its header said.
	MediaType string `json:"media_type,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	Charset   string `json:"charset,omitempty"`
	// Stuffed marks a line whose leading '.' was doubled on the wire
	// (dot-stuffing, RFC 5321 4.5.2, RFC 1939 section 3); the Content is
	// of the line without it.
	Stuffed bool `json:"stuffed,omitempty"`
}

// Message follows the lines of one message as they cross the wire (after
// DATA, or in an answer to RETR or TOP). Its zero value is a message about
// to start.
type Message struct {
	started   bool
	inHeader  bool
	field     string          // the field being read, lower case
	value     strings.Builder // its value so far, unfolded (at most maxFieldValue)
	mediaType string          // of the current part
	encoding  string
	charset   string
	boundary  string // the innermost multipart boundary
}

// Line describes one line of the message as sent (dot-stuffed).
func (m *Message) Line(wire string) *Content {
	if !m.started {
		m.started, m.inHeader = true, true
	}
	line, stuffed := strings.CutPrefix(wire, ".")
	var c *Content
	if m.inHeader {
		c = m.headerLine(line)
	} else {
		c = m.bodyLine(line)
	}
	c.Stuffed = stuffed
	return c
}

// headerLine describes a line of a header section.
func (m *Message) headerLine(line string) *Content {
	if line == "" {
		m.endField()
		m.inHeader = false
		return &Content{Header: true, EndOfHeader: true}
	}
	if line[0] == ' ' || line[0] == '\t' {
		if m.value.Len() < maxFieldValue {
			m.value.WriteString(" " + strings.TrimSpace(line))
		}
		return &Content{Header: true, Field: m.field, Folded: true}
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		m.endField()
		m.inHeader = false
		c := m.bodyLine(line)
		c.NoBlank = true
		return c
	}
	m.endField()
	m.field = strings.ToLower(name)
	value = strings.TrimSpace(value)
	m.value.WriteString(value[:min(len(value), maxFieldValue)])
	return &Content{Header: true, Field: m.field}
}

// endField takes the MIME facts the finished field gives, if any.
func (m *Message) endField() {
	value := m.value.String()
	m.value.Reset()
	switch m.field {
	case "content-transfer-encoding":
		m.encoding = strings.ToLower(strings.TrimSpace(value))
	case "content-type":
		mediaType, params, err := mime.ParseMediaType(value)
		if err != nil {
			break
		}
		m.mediaType = mediaType
		if cs := params["charset"]; cs != "" {
			m.charset = cs
		}
		if b := params["boundary"]; b != "" {
			m.boundary = b
		}
	}
	m.field = ""
}

// bodyLine describes a body line: a MIME boundary, or a line of the
// current part.
func (m *Message) bodyLine(line string) *Content {
	if m.boundary != "" && strings.HasPrefix(line, "--"+m.boundary) {
		if strings.HasPrefix(line, "--"+m.boundary+"--") {
			return &Content{Boundary: "end"}
		}
		m.inHeader, m.encoding, m.charset, m.mediaType = true, "", "", ""
		return &Content{Boundary: "part"}
	}
	return &Content{MediaType: m.mediaType, Encoding: m.encoding, Charset: m.charset}
}
