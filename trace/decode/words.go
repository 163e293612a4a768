package decode

import (
	"io"
	"mime"
	"regexp"
	"strings"

	"maillab/trace/i18n"
)

// wordDecoder decodes RFC 2047 encoded-words in any charset LookupCharset
// knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(label string, r io.Reader) (io.Reader, error) {
	cs, err := LookupCharset(label)
	if err != nil {
		return nil, err
	}
	return cs.Encoding.NewDecoder().Reader(r), nil
}}

// Header decodes every encoded-word in a header value, dropping the
// whitespace between adjacent words (RFC 2047 section 6.2).
func Header(value string) (string, error) {
	return wordDecoder.DecodeHeader(value)
}

// HasWords reports whether s contains something shaped like an
// encoded-word.
func HasWords(s string) bool {
	i := strings.Index(s, "=?")
	return i >= 0 && strings.Contains(s[i+2:], "?=")
}

// encodedWord matches "=?charset?B?payload?=" (RFC 2047 section 2), the
// charset possibly with an RFC 2231 language ("*en").
var encodedWord = regexp.MustCompile(`=\?([^?\s]+)\?([^?\s]*)\?([^?\s]*)\?=`)

// Words decodes a header value, encoded-word by encoded-word, recording
// each layer and warning about malformed words (which are kept as they
// are, as RFC 2047 says).
func Words(value string, override string) *Result {
	r := &Result{Kind: "encoded-word"}
	var out strings.Builder
	last := 0
	prevWord := false
	for _, m := range encodedWord.FindAllStringSubmatchIndex(value, -1) {
		between := value[last:m[0]]
		if !(prevWord && strings.TrimSpace(between) == "") {
			out.WriteString(between) // whitespace between two words is dropped (section 6.2)
		}
		word := value[m[0]:m[1]]
		text, ok := r.word(word, value[m[2]:m[3]], value[m[4]:m[5]], value[m[6]:m[7]], override)
		if !ok {
			text = word
		}
		out.WriteString(text)
		last, prevWord = m[1], ok
	}
	out.WriteString(value[last:])
	if last == 0 && strings.Contains(value, "=?") {
		r.warn("%q looks like an encoded-word but is not one: it must be =?charset?B-or-Q?text?= with no spaces inside", value)
	}
	r.Text = out.String()
	return r
}

// word decodes one encoded-word.
func (r *Result) word(word, label, enc, payload, override string) (string, bool) {
	label, _, _ = strings.Cut(label, "*") // drop an RFC 2231 language tag
	var raw []byte
	var err error
	switch strings.ToUpper(enc) {
	case "B":
		r.layer("encoded-word", "%s: charset %s, encoding B (Base64)", word, label)
		raw, err = r.base64(payload)
	case "Q":
		r.layer("encoded-word", "%s: charset %s, encoding Q (quoted-printable, _ for space)", word, label)
		raw, err = qDecode(payload)
		if err == nil {
			r.layer("Q", "%s → %s: %s", payload, byteCount(len(raw)), Hex(raw, 32))
		}
	default:
		r.warn("%s: the encoding must be B or Q, not %q; left as it is", word, enc)
		return "", false
	}
	if err != nil {
		r.warn("%s: %v; left as it is", word, err)
		return "", false
	}
	text, err := r.charset(raw, label, override)
	if err != nil {
		r.warn("%s: %v; left as it is", word, err)
		r.Undecoded = append(r.Undecoded, i18n.Errorf("%s: %w", word, err))
		return "", false
	}
	return text, true
}

// qDecode decodes the Q encoding of RFC 2047 section 4.2.
func qDecode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			out = append(out, ' ')
		case c == '=':
			if i+2 >= len(s) {
				return nil, i18n.Errorf("bad Q encoding: '=' at position %d must be followed by two hex digits", i+1)
			}
			b, ok := unhex(s[i+1], s[i+2])
			if !ok {
				return nil, i18n.Errorf("bad Q encoding: %q at position %d is not =XX with hex digits", s[i:i+3], i+1)
			}
			out = append(out, b)
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

func unhex(a, b byte) (byte, bool) {
	hi, ok1 := hexVal(a)
	lo, ok2 := hexVal(b)
	return hi<<4 | lo, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
