package decode

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strings"

	"maillab/trace/i18n"
)

// Limits that keep a hostile (or just huge) message from eating the
// machine: parts are decoded as streams, and only a preview of each is kept.
const (
	maxDepth     = 20      // nested multiparts
	maxParts     = 1000    // parts in one message
	previewBytes = 1 << 20 // decoded octets of a part kept for showing
)

// HeaderField is one header line, unfolded, with encoded-words decoded.
type HeaderField struct {
	Name    string
	Raw     string
	Decoded string
}

// Message is a parsed RFC 5322 message and its MIME tree.
type Message struct {
	Headers []HeaderField
	Root    *Part
}

// Part is one node of the MIME tree.
type Part struct {
	Path        string // "1", "1.2", ...; "" for the root
	MediaType   string // e.g. "text/plain"
	Charset     string // of a text part, as labelled (or guessed)
	Encoding    string // Content-Transfer-Encoding
	Filename    string // of an attachment, decoded
	Disposition string // "attachment", "inline" or ""
	Size        int64  // decoded octets
	Text        string // a text part, decoded to UTF-8 (its first MiB)
	Data        []byte // decoded content of a leaf (its first MiB)
	Saved       string // where the attachment was written, with MessageOptions.SaveDir
	Parts       []*Part
	Warnings    []i18n.Text
}

// MessageOptions tune ParseMessage.
type MessageOptions struct {
	Charset string // read text parts in this charset, whatever their label
	SaveDir string // write attachments here (never outside it), as they are decoded
}

// IsAttachment reports whether the part is meant to be saved rather than read.
func (p *Part) IsAttachment() bool {
	return len(p.Parts) == 0 && (p.Disposition == "attachment" || p.Filename != "" || !strings.HasPrefix(p.MediaType, "text/") && !strings.HasPrefix(p.MediaType, "multipart/"))
}

// ParseMessage reads a whole message: its headers, decoded, and its MIME
// tree with every text part decoded by its transfer encoding and charset.
// It reads the message as a stream: memory stays the same however large
// its parts, and attachments go straight to disk with opts.SaveDir.
func ParseMessage(r io.Reader, opts MessageOptions) (*Result, error) {
	br := bufio.NewReader(r)
	fields, warnings, err := readHeader(br)
	if err != nil {
		return nil, i18n.Errorf("reading the header: %w", err)
	}
	res := &Result{Kind: "message", Message: &Message{Headers: fields}, Warnings: warnings}
	w := &walker{override: opts.Charset}
	if opts.SaveDir != "" {
		if w.saver, err = newSaver(opts.SaveDir); err != nil {
			return nil, err
		}
		defer w.saver.close()
	}
	res.Message.Root = w.part(mimeHeader(fields), br, "", 0)
	res.Warnings = append(res.Warnings, w.warnings...)
	for _, f := range fields {
		if strings.EqualFold(f.Name, "Subject") {
			res.Text = f.Decoded
		}
	}
	return res, nil
}

// maxHeaderLine is the most of one header line (or of a field, unfolded)
// that is kept; RFC 5322 allows 998 octets, so more is hostile or broken.
// The rest is skipped, and a warning says so.
const maxHeaderLine = 64 << 10

// readHeader reads header lines up to the blank line, unfolding them. It
// keeps at most maxHeaderLine octets of a field, so a header of any size
// is read in constant memory.
func readHeader(br *bufio.Reader) ([]HeaderField, []i18n.Text, error) {
	var fields []HeaderField
	var warnings []i18n.Text
	for {
		line, cut, err := readCapped(br, maxHeaderLine)
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		if cut > 0 {
			warnings = append(warnings, i18n.T("a header line of %d octets was cut to %d", cut+len(line), len(line)))
		}
		trimmed := strings.TrimRight(line, "\r\n")
		if trimmed == "" {
			return decodeFields(fields), warnings, nil
		}
		if (trimmed[0] == ' ' || trimmed[0] == '\t') && len(fields) > 0 {
			if f := &fields[len(fields)-1]; len(f.Raw) < maxHeaderLine {
				f.Raw += " " + strings.TrimSpace(trimmed)
			}
		} else if name, value, ok := strings.Cut(trimmed, ":"); ok && isFieldName(name) {
			fields = append(fields, HeaderField{Name: name, Raw: strings.TrimSpace(value)})
		} else if len(fields) == 0 {
			return nil, nil, i18n.Errorf("the first line %q is not a header field (Name: value)", shorten(trimmed, 40))
		}
		if err == io.EOF {
			return decodeFields(fields), warnings, nil
		}
	}
}

// readCapped reads one line, keeping at most max octets of it; cut is how
// many more it had.
func readCapped(br *bufio.Reader, max int) (line string, cut int, err error) {
	var b []byte
	total := 0
	for {
		chunk, err := br.ReadSlice('\n')
		total += len(chunk)
		if room := max - len(b); room > 0 {
			b = append(b, chunk[:min(room, len(chunk))]...)
		}
		if err != bufio.ErrBufferFull {
			return string(b), total - len(b), err
		}
	}
}

// decodeFields decodes encoded-words, and display names in address fields.
func decodeFields(fields []HeaderField) []HeaderField {
	for i, f := range fields {
		fields[i].Decoded = decodeField(f.Name, f.Raw)
	}
	return fields
}

var addressParser = &mail.AddressParser{WordDecoder: wordDecoder}

func decodeField(name, raw string) string {
	switch strings.ToLower(name) {
	case "from", "to", "cc", "bcc", "reply-to", "sender":
		if list, err := addressParser.ParseList(raw); err == nil {
			var parts []string
			for _, a := range list {
				if a.Name != "" {
					parts = append(parts, a.Name+" <"+a.Address+">")
				} else {
					parts = append(parts, "<"+a.Address+">")
				}
			}
			return strings.Join(parts, ", ")
		}
	}
	return Words(raw, "").Text
}

func mimeHeader(fields []HeaderField) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	for _, f := range fields {
		h.Add(f.Name, f.Raw)
	}
	return h
}

// walker walks a MIME tree, counting parts and collecting warnings.
type walker struct {
	override string
	saver    *saver // nil: attachments are not saved
	parts    int
	warnings []i18n.Text
}

func (w *walker) warn(format string, args ...any) {
	w.warnings = append(w.warnings, i18n.T(format, args...))
}

// part parses one entity: a multipart's children, or a leaf's content.
func (w *walker) part(h textproto.MIMEHeader, body io.Reader, path string, depth int) *Part {
	w.parts++
	p := &Part{Path: path, Encoding: strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii" // RFC 2045 section 5.2
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		w.warn("part %s: Content-Type %q does not parse (%v); read as text/plain", label(path), ct, err)
		mediaType, params = "text/plain", map[string]string{}
	}
	p.MediaType, p.Charset = mediaType, params["charset"]
	p.Disposition, p.Filename = w.filename(h, params)
	if strings.HasPrefix(mediaType, "multipart/") {
		w.children(p, body, params["boundary"], depth)
		return p
	}
	w.leaf(p, body)
	return p
}

func label(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// children parses the parts of a multipart body.
func (w *walker) children(p *Part, body io.Reader, boundary string, depth int) {
	if boundary == "" {
		w.warn("part %s: %s without a boundary parameter; its parts cannot be found", label(p.Path), p.MediaType)
		return
	}
	if depth >= maxDepth {
		w.warn("part %s: multiparts nested more than %d deep; not read further", label(p.Path), maxDepth)
		return
	}
	mr := multipart.NewReader(body, boundary)
	for i := 1; ; i++ {
		raw, err := mr.NextRawPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			w.warn("part %s: %v", label(p.Path), err)
			return
		}
		if w.parts >= maxParts {
			w.warn("more than %d parts; the rest are not read", maxParts)
			return
		}
		path := fmt.Sprint(i)
		if p.Path != "" {
			path = p.Path + "." + path
		}
		p.Parts = append(p.Parts, w.part(raw.Header, raw, path, depth+1))
	}
}

// leaf decodes a leaf's transfer encoding as a stream: a preview is kept
// (and, for text, decoded from its charset), the whole goes to disk when
// it is an attachment to save.
func (w *walker) leaf(p *Part, body io.Reader) {
	preview := &previewWriter{max: previewBytes}
	var dst io.Writer = preview
	if w.saver != nil && p.IsAttachment() {
		f, err := w.saver.create(p)
		if err != nil {
			w.warn("part %s: not saved: %v", label(p.Path), err)
		} else {
			defer f.Close()
			p.Saved = w.saver.path(f)
			dst = io.MultiWriter(preview, f)
		}
	}
	n, err := io.Copy(dst, transferDecoder(p.Encoding, body))
	if err != nil {
		w.warn("part %s: %s content does not decode: %v", label(p.Path), p.Encoding, err)
	}
	p.Data, p.Size = preview.buf, n
	if n > int64(len(p.Data)) && !p.IsAttachment() {
		w.warn("part %s: %d octets; the first %d are shown", label(p.Path), n, len(p.Data))
	}
	if strings.HasPrefix(p.MediaType, "text/") || p.MediaType == "message/delivery-status" {
		w.text(p)
	}
}

// transferDecoder undoes a Content-Transfer-Encoding.
func transferDecoder(encoding string, body io.Reader) io.Reader {
	switch encoding {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &alphabetOnly{r: body})
	case "quoted-printable":
		return quotedprintable.NewReader(body)
	}
	return body // 7bit, 8bit, binary, or unknown: as it is
}

// text decodes a text part's preview from its charset.
func (w *walker) text(p *Part) {
	res := &Result{}
	text, err := res.charset(p.Data, p.Charset, w.override)
	if err != nil {
		w.warn("part %s: %v", label(p.Path), err)
		text = strings.ToValidUTF8(string(p.Data), "�")
	}
	if p.Charset == "" && len(res.Candidates) > 0 {
		p.Charset = res.Candidates[0].Charset + " (guessed)"
	}
	p.Text, p.Warnings = text, res.Warnings
}

// previewWriter keeps the first max bytes written to it and counts the
// rest away.
type previewWriter struct {
	buf []byte
	max int
}

func (pw *previewWriter) Write(b []byte) (int, error) {
	if room := pw.max - len(pw.buf); room > 0 {
		pw.buf = append(pw.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// filename finds an attachment's name: Content-Disposition's filename or
// Content-Type's name, in RFC 2231 form (any charset) or with RFC 2047
// words (which many mail programs use although the RFC does not allow it).
func (w *walker) filename(h textproto.MIMEHeader, ctParams map[string]string) (disposition, name string) {
	cd := h.Get("Content-Disposition")
	var cdParams map[string]string
	if cd != "" {
		var err error
		disposition, cdParams, err = mime.ParseMediaType(cd)
		if err != nil {
			disposition, cdParams = strings.ToLower(strings.TrimSpace(strings.Split(cd, ";")[0])), nil
		}
	}
	switch {
	case cdParams["filename"] != "":
		name = cdParams["filename"]
	case rfc2231(cd, "filename") != "":
		name = rfc2231(cd, "filename")
	case ctParams["name"] != "":
		name = ctParams["name"]
	default:
		name = rfc2231(h.Get("Content-Type"), "name")
	}
	if HasWords(name) {
		name = Words(name, "").Text
	}
	return disposition, name
}

// rfc2231 decodes an extended parameter (RFC 2231 sections 3 and 4) in a
// charset the standard library does not handle: key*=charset'lang'%XX or
// key*0*=..., key*1*=....
func rfc2231(header, key string) string {
	pieces := map[int]string{}
	encoded := map[int]bool{}
	for _, param := range strings.Split(header, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
		if !ok || !strings.HasPrefix(strings.ToLower(k), strings.ToLower(key)+"*") {
			continue
		}
		rest := k[len(key)+1:]
		n, star := 0, strings.HasSuffix(rest, "*")
		rest = strings.TrimSuffix(rest, "*")
		if rest == "" {
			star = true
		} else if _, err := fmt.Sscanf(rest, "%d", &n); err != nil {
			continue
		}
		pieces[n], encoded[n] = strings.Trim(v, `"`), star
	}
	if len(pieces) == 0 {
		return ""
	}
	first := pieces[0]
	charset, lang, ok := strings.Cut(first, "'")
	if !ok || !encoded[0] {
		charset = "us-ascii"
	} else if _, v, ok := strings.Cut(lang, "'"); ok {
		pieces[0] = v
	}
	var raw bytes.Buffer
	for i := 0; i < len(pieces); i++ {
		piece := pieces[i]
		if encoded[i] {
			if u, err := url.PathUnescape(piece); err == nil {
				piece = u
			}
		}
		raw.WriteString(piece)
	}
	cs, err := LookupCharset(charset)
	if err != nil {
		return raw.String()
	}
	text, err := cs.Text(raw.Bytes())
	if err != nil {
		return raw.String()
	}
	return text
}

// alphabetOnly passes on the Base64 alphabet and drops line breaks and
// anything else, so a body with CRLFs decodes as one stream.
type alphabetOnly struct {
	r io.Reader
}

func (a *alphabetOnly) Read(p []byte) (int, error) {
	for {
		n, err := a.r.Read(p)
		kept := 0
		for _, c := range p[:n] {
			if isB64Byte(c) {
				p[kept] = c
				kept++
			}
		}
		if kept > 0 || err != nil {
			return kept, err
		}
	}
}

func isB64Byte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
