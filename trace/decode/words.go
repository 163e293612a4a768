package decode

import (
	"io"
	"mime"
	"strings"
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
