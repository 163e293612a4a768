package decode

import (
	"encoding/base64"
	"fmt"
	"strings"

	"maillab/trace/i18n"
)

// Base64Error says where Base64 input went wrong.
type Base64Error struct {
	Offset int  // position of the first bad character in the input (0-based)
	Char   rune // that character
}

func (e *Base64Error) Error() string {
	return fmt.Sprintf("invalid Base64: character %q at position %d", e.Char, e.Offset+1)
}

// Base64 decodes Base64 leniently, as a learner copies it: whitespace and
// line breaks are ignored, padding may be missing, and the URL-safe
// alphabet ("-" and "_") is accepted. It reports the first bad character.
func Base64(s string) ([]byte, error) {
	clean := make([]byte, 0, len(s))
	urlSafe := false
	for i, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			continue
		case r == '-' || r == '_':
			urlSafe = true
		case r == '=' || r == '+' || r == '/' || isAlnum(r):
		default:
			return nil, &Base64Error{Offset: i, Char: r}
		}
		clean = append(clean, byte(r))
	}
	text := strings.TrimRight(string(clean), "=")
	if i := strings.IndexByte(text, '='); i >= 0 {
		return nil, &Base64Error{Offset: positionOf(s, i), Char: '='}
	}
	enc := base64.RawStdEncoding
	if urlSafe {
		enc = base64.RawURLEncoding
	}
	out, err := enc.DecodeString(text)
	if err != nil {
		return nil, i18n.Errorf("invalid Base64: %d characters is not a whole number of groups (one is missing or extra)", len(text))
	}
	return out, nil
}

// positionOf maps an index in s without whitespace back to s.
func positionOf(s string, cleanIndex int) int {
	n := 0
	for i, r := range s {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			continue
		}
		if n == cleanIndex {
			return i
		}
		n++
	}
	return len(s)
}

func isAlnum(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}
