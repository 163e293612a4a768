package decode

import (
	"fmt"
	"strings"

	"maillab/trace/i18n"
)

// Layer is one step of the way from what was captured to text, for
// showing the learner how the decoding went.
type Layer struct {
	What   string    // e.g. "encoded-word", "Base64", "GBK"
	Detail i18n.Text // e.g. "08q8/rLiytQ= → 8 bytes: d3 ca bc fe b2 e2 ca d4", said in the reader's language
}

// Result is what Auto found and decoded.
type Result struct {
	Kind       string      // what the input was: "encoded-word", "header", "base64", "quoted-printable", "auth-plain", "message"
	Text       string      // the decoded text
	Layers     []Layer     // how it was decoded, in order
	Warnings   []i18n.Text // things that look wrong and what they mean
	Candidates []Candidate // readings of bytes whose charset was guessed, best first
	Message    *Message    // for a whole message
	Undecoded  []error     // encoded-words left as they are, and why (an unknown charset, say)
}

func (r *Result) layer(what, format string, args ...any) {
	r.Layers = append(r.Layers, Layer{What: what, Detail: i18n.T(format, args...)})
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, i18n.T(format, args...))
}

// Hex writes bytes as "d3 ca bc fe", shortened after max bytes (saying
// how many there were, in the reader's language).
func Hex(b []byte, max int) i18n.Text {
	var sb strings.Builder
	for i, c := range b {
		if i == max {
			return i18n.T("%s … (%d bytes in all)", sb.String(), len(b))
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return i18n.Text{Format: sb.String()}
}

// byteCount says "1 byte" or "8 bytes".
func byteCount(n int) i18n.Text {
	if n == 1 {
		return i18n.T("1 byte")
	}
	return i18n.T("%d bytes", n)
}
