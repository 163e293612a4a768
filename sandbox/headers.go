package sandbox

import (
	"bytes"
	"fmt"
	"time"
)

// headerBlock reports how the content starts: whether it has a header
// section at all, and whether Date: and Message-ID: are among its fields.
func headerBlock(content []byte) (hasHeaders, hasDate, hasMessageID bool) {
	rest := content
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return hasHeaders, hasDate, hasMessageID // end of the header section
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !hasHeaders {
				return false, false, false
			}
			continue // a folded continuation line
		}
		name, ok := fieldName(line)
		if !ok {
			return hasHeaders, hasDate, hasMessageID
		}
		hasHeaders = true
		hasDate = hasDate || bytes.EqualFold(name, []byte("Date"))
		hasMessageID = hasMessageID || bytes.EqualFold(name, []byte("Message-ID"))
	}
	return hasHeaders, hasDate, hasMessageID
}

// fieldName returns the name of a header field line "Name: value"
// (RFC 5322 section 3.6.8: printable ASCII but colon).
func fieldName(line []byte) ([]byte, bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c > '~' {
			return nil, false
		}
	}
	return line[:colon], true
}

// missingHeaders returns the header lines to put before content: Date: and
// Message-ID: when absent, and a blank line when the content has no header
// section, so that its first line stays in the body.
func missingHeaders(content []byte, now time.Time, id, host string) []byte {
	hasHeaders, hasDate, hasID := headerBlock(content)
	var b bytes.Buffer
	if !hasDate {
		b.WriteString("Date: " + now.Format(time.RFC1123Z) + "\r\n")
	}
	if !hasID {
		fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", id, host)
	}
	if !hasHeaders && !bytes.HasPrefix(content, []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// headerValue returns the first value of a header field, unfolded, or "".
func headerValue(msg []byte, name string) string {
	rest := msg
	var value []byte
	found := false
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if found {
				value = append(value, ' ')
				value = append(value, bytes.TrimSpace(line)...)
			}
			continue
		}
		if found {
			break
		}
		if n, ok := fieldName(line); ok && bytes.EqualFold(n, []byte(name)) {
			found = true
			value = append(value, bytes.TrimSpace(line[len(n)+1:])...)
		}
	}
	return string(value)
}
