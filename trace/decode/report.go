package decode

import (
	"fmt"
	"io"
	"strings"

	"maillab/trace/i18n"
)

// WriteTextIn writes what a learner wants first: the decoded text, or for
// a message its headers and MIME tree, maillab's words in p's language.
func (r *Result) WriteTextIn(w io.Writer, p *i18n.Printer) {
	if r.Message != nil {
		r.Message.write(w, i18n.Or(p))
		return
	}
	fmt.Fprintln(w, r.Text)
}

// WriteLayersIn writes how the input was decoded, step by step, and the
// other readings when the charset was guessed, in p's language.
func (r *Result) WriteLayersIn(w io.Writer, p *i18n.Printer) {
	if len(r.Layers) == 0 {
		return
	}
	p = i18n.Or(p)
	fmt.Fprintf(w, "\n%s\n", p.Trf("how it was decoded (%s):", p.Tr(kindWords[r.Kind])))
	for _, l := range r.Layers {
		fmt.Fprintf(w, "  %-14s %s\n", l.What, l.Detail.In(p))
	}
	if len(r.Candidates) > 1 {
		fmt.Fprintln(w, p.Tr("other readings of the same bytes, less plausible:"))
		for _, c := range r.Candidates[1:] {
			fmt.Fprintf(w, "  %-14s %s\n", c.Charset, shorten(c.Text, 80))
		}
	}
}

// kindWords name what a payload was, for people.
var kindWords = map[string]string{
	"header": i18n.N("a header"), "base64": i18n.N("Base64"), "auth-plain": i18n.N("an AUTH PLAIN answer"),
	"quoted-printable": i18n.N("quoted-printable"), "message": i18n.N("a message"), "encoded-word": i18n.N("an encoded-word"),
}

func (m *Message) write(w io.Writer, p *i18n.Printer) {
	for _, h := range m.Headers {
		if h.Decoded != h.Raw {
			fmt.Fprintf(w, "%s: %s\n    (%s)\n", h.Name, h.Decoded, shorten(h.Raw, 100))
		} else {
			fmt.Fprintf(w, "%s: %s\n", h.Name, h.Raw)
		}
	}
	fmt.Fprintln(w)
	m.Root.write(w, p, "", true, true)
}

// write draws one node of the tree and its children.
func (p *Part) write(w io.Writer, lang *i18n.Printer, indent string, last, root bool) {
	branch, next := "├─ ", indent+"│  "
	if last {
		branch, next = "└─ ", indent+"   "
	}
	if root {
		branch, next = "", ""
	}
	fmt.Fprintf(w, "%s%s%s\n", indent, branch, p.describe(lang))
	if p.Text != "" && !p.IsAttachment() {
		for _, line := range strings.Split(strings.TrimRight(p.Text, "\r\n"), "\n") {
			fmt.Fprintf(w, "%s    %s\n", next, strings.TrimRight(line, "\r"))
		}
	}
	for _, warning := range p.Warnings {
		fmt.Fprintf(w, "%s    %s\n", next, lang.Trf("warning: %s", warning.In(lang)))
	}
	for i, c := range p.Parts {
		c.write(w, lang, next, i == len(p.Parts)-1, false)
	}
}

// describe is a node's one-line summary.
func (p *Part) describe(lang *i18n.Printer) string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path + " ")
	}
	if p.IsAttachment() {
		name := p.Filename
		if name == "" {
			name = lang.Tr("(no name)")
		}
		b.WriteString(lang.Trf("attachment %q %s, %s", name, p.MediaType, lang.Count(int(p.Size), "octet")))
		return b.String()
	}
	b.WriteString(p.MediaType)
	if p.Charset != "" {
		b.WriteString("; charset=" + p.Charset)
	}
	if p.Encoding != "" {
		b.WriteString(", " + p.Encoding)
	}
	if len(p.Parts) == 0 {
		return lang.Trf("%s (%s)", b.String(), lang.Count(int(p.Size), "octet"))
	}
	return b.String()
}
