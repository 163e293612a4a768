package decode

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"maillab/trace/i18n"

	"golang.org/x/text/encoding/ianaindex"
)

// EncodeBase64 is the Base64 of text's UTF-8 bytes, as AUTH LOGIN wants
// a user name or a password.
func EncodeBase64(text string) string {
	return base64.StdEncoding.EncodeToString([]byte(text))
}

// AuthPlain is the AUTH PLAIN answer (RFC 4616): Base64 of
// NUL user NUL password, with an empty authorization identity.
func AuthPlain(user, password string) string {
	return EncodeBase64("\x00" + user + "\x00" + password)
}

// maxWord is the longest encoded-word RFC 2047 section 2 allows.
const maxWord = 75

// EncodeWords encodes text as RFC 2047 encoded-words in charset, B
// (Base64) or, with q, Q encoding. Long text is split into several words
// of at most 75 characters, never inside a character; the words are
// separated by a space, which decoders drop.
func EncodeWords(text, charset string, q bool) (string, error) {
	cs, err := lookupForEncoding(charset)
	if err != nil {
		return "", err
	}
	enc := cs.Encoding.NewEncoder()
	prefix := "=?" + cs.Name + "?B?"
	if q {
		prefix = "=?" + cs.Name + "?Q?"
	}
	var words []string
	var chunk []byte
	flush := func() {
		if len(chunk) > 0 {
			words = append(words, prefix+payload(chunk, q)+"?=")
			chunk = chunk[:0]
		}
	}
	for i, r := range text {
		b, err := enc.Bytes([]byte(string(r)))
		if err != nil || r == utf8.RuneError {
			return "", i18n.Errorf("%q (character %d) cannot be written in %s", r, i+1, cs.Name)
		}
		if len(prefix)+len(payload(append(chunk, b...), q))+2 > maxWord {
			flush()
		}
		chunk = append(chunk, b...)
	}
	flush()
	return strings.Join(words, " "), nil
}

// lookupForEncoding prefers the exact IANA charset of a label: decoding
// may read ISO-8859-1 as its superset windows-1252, but text written as
// ISO-8859-1 must hold only ISO-8859-1's characters.
func lookupForEncoding(label string) (Charset, error) {
	if e, err := ianaindex.IANA.Encoding(label); err == nil && e != nil {
		if name, err := ianaindex.MIME.Name(e); err == nil && name != "" {
			return Charset{Label: label, Name: canonical(name), Encoding: e}, nil
		}
	}
	return LookupCharset(label)
}

// payload encodes bytes for an encoded-word.
func payload(b []byte, q bool) string {
	if !q {
		return base64.StdEncoding.EncodeToString(b)
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == ' ':
			sb.WriteByte('_')
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '!', c == '*', c == '+', c == '-', c == '/':
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, "=%02X", c)
		}
	}
	return sb.String()
}
