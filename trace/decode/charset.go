// Package decode turns what learners capture from mail sessions back into
// text: Base64 (RFC 4648), quoted-printable (RFC 2045), encoded-words
// (RFC 2047), AUTH PLAIN blobs (RFC 4616), whole MIME messages, in any
// charset golang.org/x/text knows.
package decode

import (
	"maillab/trace/i18n"

	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// ErrUnknownCharset is returned for a charset label no table knows.
var ErrUnknownCharset = i18n.NewError("unknown charset")

// Charset is a character set found by one of its labels.
type Charset struct {
	Label    string            // the label asked for, e.g. "gb2312"
	Name     string            // the canonical name, e.g. "GBK"
	Encoding encoding.Encoding // decodes bytes to UTF-8
	Note     string            // set when the label is read as another charset
}

// LookupCharset finds a charset by any WHATWG or IANA label (case does not
// matter). As browsers do, gb2312 is read as GBK, its superset, and the
// Note says so.
func LookupCharset(label string) (Charset, error) {
	clean := strings.ToLower(strings.TrimSpace(label))
	if clean == "" {
		return Charset{}, i18n.Errorf("%w: empty charset name", ErrUnknownCharset)
	}
	switch clean {
	case "utf-8", "utf8":
		return Charset{Label: label, Name: "UTF-8", Encoding: unicode.UTF8}, nil
	case "us-ascii", "ascii":
		return Charset{Label: label, Name: "US-ASCII", Encoding: unicode.UTF8}, nil
	case "utf-16":
		// RFC 2781: a byte order mark decides; without one, big-endian.
		return Charset{Label: label, Name: "UTF-16", Encoding: unicode.UTF16(unicode.BigEndian, unicode.UseBOM)}, nil
	}
	if e, err := htmlindex.Get(clean); err == nil {
		name, _ := htmlindex.Name(e)
		return describe(label, clean, canonical(name), e), nil
	}
	if e, err := ianaindex.IANA.Encoding(clean); err == nil && e != nil {
		name, _ := ianaindex.MIME.Name(e)
		if name == "" {
			name, _ = ianaindex.IANA.Name(e)
		}
		return describe(label, clean, canonical(name), e), nil
	}
	return Charset{}, i18n.Errorf("%w %q (try gbk, gb18030, big5, shift_jis, euc-kr, iso-8859-1, windows-1252, koi8-r or utf-8)", ErrUnknownCharset, label)
}

// canonical spells a charset name the way mail headers usually do.
func canonical(name string) string {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "windows-") {
		return lower
	}
	switch lower {
	case "gbk":
		return "GBK"
	case "gb18030":
		return "GB18030"
	case "big5":
		return "Big5"
	case "shift_jis":
		return "Shift_JIS"
	}
	return strings.ToUpper(name)
}

func describe(label, clean, name string, e encoding.Encoding) Charset {
	cs := Charset{Label: label, Name: name, Encoding: e}
	if !strings.EqualFold(clean, name) && (clean == "gb2312" || clean == "gb_2312" || clean == "gb_2312-80" || clean == "csgb2312") {
		cs.Note = i18n.N("gb2312 is decoded as GBK, its superset, as browsers and mail programs do")
	}
	return cs
}

// Text decodes b from the charset to UTF-8.
func (c Charset) Text(b []byte) (string, error) {
	out, err := c.Encoding.NewDecoder().Bytes(b)
	if err != nil {
		return "", i18n.Errorf("decode %s: %w", c.Name, err)
	}
	return string(out), nil
}
