package decode

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes what a learner wants first: the decoded text, or for a
// message its headers and MIME tree.
func (r *Result) WriteText(w io.Writer) {
	if r.Message != nil {
		r.Message.write(w)
		return
	}
	fmt.Fprintln(w, r.Text)
}

// WriteLayers writes how the input was decoded, step by step, and the
// other readings when the charset was guessed.
func (r *Result) WriteLayers(w io.Writer) {
	if len(r.Layers) == 0 {
		return
	}
	fmt.Fprintf(w, "\nhow it was decoded (%s):\n", r.Kind)
	for _, l := range r.Layers {
		fmt.Fprintf(w, "  %-14s %s\n", l.What, l.Detail)
	}
	if len(r.Candidates) > 1 {
		fmt.Fprintln(w, "other readings of the same bytes, less plausible:")
		for _, c := range r.Candidates[1:] {
			fmt.Fprintf(w, "  %-14s %s\n", c.Charset, shorten(c.Text, 80))
		}
	}
}

func (m *Message) write(w io.Writer) {
	for _, h := range m.Headers {
		if h.Decoded != h.Raw {
			fmt.Fprintf(w, "%s: %s\n    (%s)\n", h.Name, h.Decoded, shorten(h.Raw, 100))
		} else {
			fmt.Fprintf(w, "%s: %s\n", h.Name, h.Raw)
		}
	}
	fmt.Fprintln(w)
	m.Root.write(w, "", true, true)
}

// write draws one node of the tree and its children.
func (p *Part) write(w io.Writer, indent string, last, root bool) {
	branch, next := "├─ ", indent+"│  "
	if last {
		branch, next = "└─ ", indent+"   "
	}
	if root {
		branch, next = "", ""
	}
	fmt.Fprintf(w, "%s%s%s\n", indent, branch, p.describe())
	if p.Text != "" && !p.IsAttachment() {
		for _, line := range strings.Split(strings.TrimRight(p.Text, "\r\n"), "\n") {
			fmt.Fprintf(w, "%s    %s\n", next, strings.TrimRight(line, "\r"))
		}
	}
	for _, warning := range p.Warnings {
		fmt.Fprintf(w, "%s    warning: %s\n", next, warning)
	}
	for i, c := range p.Parts {
		c.write(w, next, i == len(p.Parts)-1, false)
	}
}

// describe is a node's one-line summary.
func (p *Part) describe() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path + " ")
	}
	if p.IsAttachment() {
		name := p.Filename
		if name == "" {
			name = "(no name)"
		}
		fmt.Fprintf(&b, "attachment %q %s, %s", name, p.MediaType, octets(p.Size))
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
		fmt.Fprintf(&b, " (%s)", octets(p.Size))
	}
	return b.String()
}

// octets writes "1 octet" or "512 octets".
func octets(n int64) string {
	if n == 1 {
		return "1 octet"
	}
	return fmt.Sprintf("%d octets", n)
}
