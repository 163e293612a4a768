package trace

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Visible returns s with everything a terminal or a page could take as an
// instruction shown as an escape instead: C0 controls but tab, DEL, C1
// controls and invalid UTF-8 as \xNN, and the bidirectional marks and
// overrides (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069) as
// \uNNNN. A client's bytes reach a teacher's terminal only through it, so
// no student can retitle the window, clear the screen, write the
// clipboard or reorder what the class reads.
func Visible(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\u%04x`, r)
		case isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII and tabs, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports whether r changes the direction of the text
// around it (Unicode's bidirectional formatting characters).
func isBidiControl(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
