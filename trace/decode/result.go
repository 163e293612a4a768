package decode

import (
	"fmt"
	"strings"

	"maillab/trace/i18n"
)

// Layer is one step of the way from what was captured to text, for
// showing the learner how the decoding went.
type Layer struct {
	What   string // e.g. "encoded-word", "Base64", "GBK"
	Detail string // e.g. "08q8/rLiytQ= → 8 bytes: d3 ca bc fe b2 e2 ca d4"
}

// Result is what Auto found and decoded.
type Result struct {
	Kind       string      // what the input was: "encoded-word", "header", "base64", "quoted-printable", "auth-plain", "message"
	Text       string      // the decoded text
	Layers     []Layer     // how it was decoded, in order
	Warnings   []string    // things that look wrong and what they mean
	Candidates []Candidate // readings of bytes whose charset was guessed, best first
	Message    *Message    // for a whole message
	Undecoded  []error     // encoded-words left as they are, and why (an unknown charset, say)
}

func (r *Result) layer(what, format string, args ...any) {
	r.Layers = append(r.Layers, Layer{What: what, Detail: fmt.Sprintf(format, args...)})
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Hex writes bytes as "d3 ca bc fe", shortened after max bytes.
func Hex(b []byte, max int) string {
	var sb strings.Builder
	for i, c := range b {
		if i == max {
			fmt.Fprintf(&sb, " … "+i18n.N("(%d bytes in all)"), len(b))
			break
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}

// byteCount writes "1 byte" or "8 bytes".
func byteCount(n int) string {
	if n == 1 {
		return i18n.N("1 byte")
	}
	return fmt.Sprintf(i18n.N("%d bytes"), n)
}
