package decode

import (
	"maillab/trace/i18n"

	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ErrNothingToDecode means the input looks like plain text already.
var ErrNothingToDecode = i18n.NewError("nothing to decode: this does not look like Base64, quoted-printable, an encoded-word or a mail message")

// Auto works out what s is (an encoded-word or a header with them, a whole
// message, an AUTH PLAIN blob, Base64, quoted-printable) and decodes it.
// charset, when not empty, overrides any charset label or guess.
func Auto(s string, charset string) (*Result, error) {
	if charset != "" {
		if _, err := LookupCharset(charset); err != nil {
			return nil, err
		}
	}
	trimmed := strings.TrimSpace(s)
	switch {
	case trimmed == "":
		return nil, i18n.NewError("nothing to decode: the input is empty")
	case looksLikeMessage(trimmed):
		return ParseMessage(strings.NewReader(s), MessageOptions{Charset: charset})
	case HasWords(trimmed):
		return headerOrWords(trimmed, charset), nil
	case looksBase64Text(trimmed):
		r, err := base64Input(trimmed, charset)
		spaced := strings.ContainsAny(trimmed, " \t")
		switch {
		case err == nil && spaced && len(r.Candidates) > 0:
			// words that happen to use only Base64's letters
			return nil, i18n.Errorf("%w (if it is Base64, take the spaces out)", ErrNothingToDecode)
		case err == nil:
			return r, nil
		case looksQuotedPrintable(trimmed):
			return quotedPrintableInput(trimmed, charset)
		case strings.Contains(trimmed, " "):
			return nil, ErrNothingToDecode // words, not Base64
		}
		return nil, err
	case looksQuotedPrintable(trimmed):
		return quotedPrintableInput(trimmed, charset)
	case mostlyBase64(trimmed):
		_, err := Base64(trimmed) // say where it goes wrong
		return nil, err
	}
	return nil, ErrNothingToDecode
}

// mostlyBase64 is true for one word of at least 8 characters, nearly all
// from the Base64 alphabet: Base64 with a typo, to be reported as such.
func mostlyBase64(s string) bool {
	if len(s) < 8 || strings.ContainsAny(s, " \t") {
		return false
	}
	good := 0
	for i := 0; i < len(s); i++ {
		if isB64Byte(s[i]) || s[i] == '-' || s[i] == '_' {
			good++
		}
	}
	return good*10 >= len(s)*8
}

// headerOrWords decodes "Subject: =?...?=" or a bare encoded-word.
func headerOrWords(s, charset string) *Result {
	if name, value, ok := strings.Cut(s, ":"); ok && isFieldName(name) && !strings.HasPrefix(strings.TrimSpace(value), "?") {
		r := Words(strings.TrimSpace(value), charset)
		r.Kind = "header"
		r.Text = name + ": " + r.Text
		return r
	}
	return Words(s, charset)
}

func isFieldName(s string) bool {
	if s == "" || strings.HasPrefix(s, "=?") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// LooksLikeMessage reports whether s starts like a mail message.
func LooksLikeMessage(s string) bool { return looksLikeMessage(strings.TrimSpace(s)) }

// looksLikeMessage is true for a header section: a first line
// "Name: value" followed by more header lines or a blank line.
func looksLikeMessage(s string) bool {
	lines := strings.SplitN(strings.ReplaceAll(s, "\r\n", "\n"), "\n", 3)
	if len(lines) < 2 {
		return false
	}
	name, _, ok := strings.Cut(lines[0], ":")
	if !ok || !isFieldName(name) {
		return false
	}
	second := lines[1]
	if second == "" || second[0] == ' ' || second[0] == '\t' {
		return true
	}
	n2, _, ok := strings.Cut(second, ":")
	return ok && isFieldName(n2)
}

var base64Shape = regexp.MustCompile(`^[A-Za-z0-9+/=_\-\s]+$`)

// looksBase64Text is true when s is made of the Base64 alphabet only.
func looksBase64Text(s string) bool {
	return base64Shape.MatchString(s) && len(strings.Join(strings.Fields(s), "")) >= 4
}

var qpEscape = regexp.MustCompile(`=[0-9A-Fa-f]{2}|=\r?\n`)

func looksQuotedPrintable(s string) bool { return qpEscape.MatchString(s) }

// base64Input decodes Base64, then reads the bytes as an AUTH PLAIN blob
// or as text in the given, or a guessed, charset.
func base64Input(s, charset string) (*Result, error) {
	r := &Result{Kind: "base64"}
	raw, err := r.base64(s)
	if err != nil {
		return nil, err
	}
	if fields := bytes.Split(raw, []byte{0}); len(fields) == 3 && charset == "" && utf8.Valid(raw) {
		r.Kind = "auth-plain"
		r.layer("AUTH PLAIN", "authorization id %q, NUL, user %q, NUL, password %q", fields[0], fields[1], fields[2])
		r.Text = fmt.Sprintf("authzid=%q user=%q password=%q", fields[0], fields[1], fields[2])
		return r, nil
	}
	text, err := r.charset(raw, "", charset)
	if err != nil {
		return nil, err
	}
	r.Text = text
	r.checkText(s, text)
	return r, nil
}

// checkText warns about what a decoded Base64 payload suggests went wrong
// before it was decoded: a newline echo added, or letters whose case was
// changed by hand (then no charset reads the bytes cleanly).
func (r *Result) checkText(b64, text string) {
	if line, ok := strings.CutSuffix(text, "\n"); ok && !strings.Contains(line, "\n") {
		r.warn("the text ends with a newline (0a), which echo adds: encode with echo -n or printf (or maillab encode), or the server gets the newline too")
	}
	if len(r.Candidates) > 0 && strings.ContainsRune(r.Candidates[0].Text, utf8.RuneError) && !caseLooksChanged(b64) {
		r.warn("no charset reads these bytes cleanly: if the Base64 was copied by hand, check its letter case (Base64 is case-sensitive: Z2FjbA== is gacl, z2fjba== is garbage)")
	}
}

// quotedPrintableInput decodes quoted-printable (RFC 2045 section 6.7).
func quotedPrintableInput(s, charset string) (*Result, error) {
	r := &Result{Kind: "quoted-printable"}
	raw, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
	if err != nil {
		return nil, i18n.Errorf("invalid quoted-printable: %w", err)
	}
	r.layer("quoted-printable", "%d characters → %s: %s", len(s), byteCount(len(raw)), Hex(raw, 32))
	text, err := r.charset(raw, "", charset)
	if err != nil {
		return nil, err
	}
	r.Text = text
	return r, nil
}

// base64 decodes a Base64 payload, noting the layer and what looks wrong.
func (r *Result) base64(s string) ([]byte, error) {
	raw, err := Base64(s)
	if err != nil {
		return nil, err
	}
	compact := strings.Join(strings.Fields(s), "")
	r.layer("Base64", "%s → %s: %s", shorten(compact, 60), byteCount(len(raw)), Hex(raw, 32))
	if n := len(strings.TrimRight(compact, "=")); n%4 != 0 && !strings.HasSuffix(compact, "=") {
		r.warn("the '=' padding is missing (decoded anyway): Base64 comes in groups of 4 characters")
	}
	if caseLooksChanged(compact) {
		r.warn("the letter case looks changed: every letter here is %s, which real Base64 almost never is; Base64 is case-sensitive, so copied text that was lower-cased decodes to garbage", caseWord(compact))
	}
	return raw, nil
}

// caseLooksChanged is true when at least 5 letters are all of one case:
// real Base64 mixes cases, so the chance of that is 1 in 32 or less.
func caseLooksChanged(s string) bool {
	lower, upper := 0, 0
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		}
	}
	return lower+upper >= 5 && (lower == 0 || upper == 0)
}

func caseWord(s string) string {
	if strings.ToLower(s) == s {
		return i18n.N("lower case")
	}
	return i18n.N("upper case")
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// charset turns bytes into text: with override if given, else the label,
// else UTF-8 when valid, else the most plausible guess.
func (r *Result) charset(raw []byte, label, override string) (string, error) {
	switch {
	case override != "":
		return r.withCharset(raw, override, i18n.T("chosen with --charset"))
	case label != "":
		return r.withCharset(raw, label, i18n.T("from the label"))
	case utf8.Valid(raw):
		r.layer("UTF-8", "→ %s", shorten(string(raw), 200))
		return string(raw), nil
	}
	r.Candidates = Guess(raw)
	if len(r.Candidates) == 0 {
		return "", i18n.Errorf("the bytes %s are text in no charset tried", Hex(raw, 16))
	}
	best := r.Candidates[0]
	r.layer(best.Charset, "→ %s (a guess: the bytes are not UTF-8 and no charset was given; the most plausible reading was chosen)", shorten(best.Text, 200))
	return best.Text, nil
}

// withCharset decodes raw with a named charset and checks the label.
func (r *Result) withCharset(raw []byte, label string, why i18n.Text) (string, error) {
	cs, err := LookupCharset(label)
	if err != nil {
		return "", err
	}
	text, err := cs.Text(raw)
	if err != nil {
		return "", err
	}
	r.layer(cs.Name, "→ %s (%s)", shorten(text, 200), why)
	if cs.Note != "" {
		r.warn(cs.Note)
	}
	if strings.EqualFold(strings.TrimSpace(label), "gb2312") && usesGBKOnly(raw) {
		r.warn("labelled gb2312, but it uses characters only GBK has (the label lies; decoded as GBK)")
	}
	if strings.ContainsRune(text, utf8.RuneError) && !bytes.Contains(raw, []byte("\xef\xbf\xbd")) {
		r.warn("some bytes are not valid %s (shown as �): is the charset right?", cs.Name)
	}
	return text, nil
}

// usesGBKOnly reports whether GBK bytes hold a double-byte character
// outside GB2312 (both bytes 0xA1-0xFE).
func usesGBKOnly(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			continue
		}
		if i+1 >= len(b) {
			return false
		}
		if c < 0xa1 || c > 0xfe || b[i+1] < 0xa1 || b[i+1] > 0xfe {
			return true
		}
		i++
	}
	return false
}
