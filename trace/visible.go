package trace

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// Visible returns s with everything a terminal or a page could take as an
// instruction shown as an escape instead: C0 controls but tab, DEL, C1
// controls and invalid UTF-8 as \xNN, and the bidirectional marks and
// overrides (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069) as
// \uNNNN. A client's bytes reach a teacher's terminal only through it, so
// no student can retitle the window, clear the screen, write the
// clipboard or reorder what the class reads.
func Visible(s string) string {
	i := safePrefix(s)
	if i == len(s) {
		return s // the common case: nothing to escape, nothing copied
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for {
		b.WriteString(s[:i]) // a run of safe text, copied at once
		s = s[i:]
		if s == "" {
			break
		}
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size <= 1, r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		s = s[size:]
		i = safePrefix(s)
	}
	return b.String()
}

// safePrefix is how many bytes at the start of s need no escaping:
// printable ASCII and tabs, and valid UTF-8 but C1 controls and the
// bidirectional marks. Each sequence is checked byte by byte, without
// decoding the character (Chinese text, three bytes a character, is the
// common case); anything unusual is left to safePrefixByRune.
func safePrefix(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f || c == '\t':
			i++
			continue
		case c < 0x80:
			return i
		case c >= 0xe1 && c <= 0xec || c == 0xee || c == 0xef: // three bytes, no special case of validity
			if i+2 < len(s) && continuation(s[i+1]) && continuation(s[i+2]) && !(c == 0xe2 && bidiMark(s[i+1], s[i+2])) {
				i += 3
				continue
			}
		case c >= 0xc3 && c <= 0xdf && c != 0xd8: // two bytes, none of them a control or a mark
			if i+1 < len(s) && continuation(s[i+1]) {
				i += 2
				continue
			}
		}
		// anything else: decode the one character and judge it
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || r <= 0x9f || decode.IsBidiControl(r) {
			return i
		}
		i += size
	}
	return i
}

// continuation reports whether b continues a UTF-8 sequence.
func continuation(b byte) bool { return b&0xc0 == 0x80 }

// bidiMark reports whether a character E2 b1 b2 is one of the
// bidirectional marks: U+200E, U+200F, U+202A to U+202E, U+2066 to
// U+2069.
func bidiMark(b1, b2 byte) bool {
	return b1 == 0x80 && (b2 == 0x8e || b2 == 0x8f || b2 >= 0xaa && b2 <= 0xae) || b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9
}

// Escaper is a writer that passes text on line by line through Visible:
// newlines stay, everything else a terminal could obey is escaped. Close
// writes out an unfinished last line.
type Escaper struct {
	w   io.Writer
	buf []byte // an unfinished line
	out []byte // what one Write writes, reused
}

// maxEscaperLine is how much of one line an Escaper holds before it
// writes it out (at a UTF-8 boundary), so a huge line costs no memory.
const maxEscaperLine = 64 << 10

// NewEscaper returns an Escaper writing to w.
func NewEscaper(w io.Writer) *Escaper { return &Escaper{w: w} }

// Write escapes the complete lines in p and keeps the rest for later.
func (e *Escaper) Write(p []byte) (int, error) {
	e.buf = append(e.buf, p...)
	end := bytes.LastIndexByte(e.buf, '\n')
	out := e.out[:0]
	if end >= 0 {
		// every complete line at once: escaped, then written in one go
		// (one write for a chunk, not one per line)
		for line := range strings.SplitSeq(string(e.buf[:end]), "\n") {
			out = append(append(out, Visible(line)...), '\n')
		}
		e.buf = append([]byte(nil), e.buf[end+1:]...) // the unfinished line alone, not the chunk it came in
	}
	if len(e.buf) > maxEscaperLine {
		cut := len(e.buf) - utf8.UTFMax
		for cut > 0 && !utf8.RuneStart(e.buf[cut]) {
			cut--
		}
		out = append(out, Visible(string(e.buf[:cut]))...)
		e.buf = append([]byte(nil), e.buf[cut:]...)
	}
	e.out = out[:0]
	if len(out) > 0 {
		if _, err := e.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (e *Escaper) Close() error {
	if len(e.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(e.w, Visible(string(e.buf)))
	e.buf = nil
	return err
}

// CheckVisible returns an error naming the first character of rendered
// output that a terminal could obey: a control character other than
// newline and tab, an invalid UTF-8 byte, a C1 control, a bidirectional
// override, or an escape sequence that is not one of maillab's own colour
// codes (ESC [ digits m). Tests hold every renderer for people to it.
func CheckVisible(out []byte) error {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRune(out[i:])
		switch {
		case r == 0x1b:
			if n := colourCode(out[i:]); n > 0 {
				i += n
				continue
			}
			return i18n.Errorf("escape sequence at %d: %q", i, out[i:min(i+20, len(out))])
		case r == utf8.RuneError && size == 1:
			return i18n.Errorf("invalid UTF-8 at %d", i)
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r <= 0x9f, decode.IsBidiControl(r):
			return i18n.Errorf("%U at %d", r, i)
		}
		i += size
	}
	return nil
}

// colourCode returns the length of an SGR colour code at the start of b
// (ESC [ digits and semicolons m), or 0.
func colourCode(b []byte) int {
	if len(b) < 3 || b[1] != '[' {
		return 0
	}
	for j := 2; j < len(b); j++ {
		switch c := b[j]; {
		case c == 'm':
			return j + 1
		case c != ';' && (c < '0' || c > '9'):
			return 0
		}
	}
	return 0
}

// CSVCell is a cell of a CSV sheet for a spreadsheet: text that starts
// like a formula (=, +, -, @, a tab or a CR) gets a leading quote, so a
// spreadsheet shows it rather than runs it.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
