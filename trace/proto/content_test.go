package proto

import (
	"strings"
	"testing"
)

func TestMessageStructure(t *testing.T) {
	lines := []struct{ wire, want string }{
		{"From: <a@b.c>", "header from"},
		{"Content-Type: multipart/mixed;", "header content-type"},
		{"\tboundary=\"b\"", "folded content-type"},
		{"", "end-of-header"},
		{"preamble", "body multipart/mixed"},
		{"--b", "boundary part"},
		{"Content-Type: text/plain; charset=GBK", "header content-type"},
		{"Content-Transfer-Encoding: base64", "header content-transfer-encoding"},
		{"", "end-of-header"},
		{"08q8/g==", "body text/plain base64 GBK"},
		{"..stuffed", "body text/plain base64 GBK stuffed"},
		{"--b--", "boundary end"},
	}
	var m Message
	for _, l := range lines {
		if got := describe(m.Line(l.wire)); got != l.want {
			t.Errorf("%q: %q, want %q", l.wire, got, l.want)
		}
	}
}

func TestHeaderWithoutBlankLine(t *testing.T) {
	var m Message
	m.Line("Subject: x")
	if c := m.Line("just a body line"); !c.NoBlank || c.Header {
		t.Errorf("%+v", c)
	}
}

// TestFoldedValueIsBounded: a hostile folded header costs at most
// maxFieldValue octets, however many lines it has.
func TestFoldedValueIsBounded(t *testing.T) {
	var m Message
	m.Line("X-Long: a")
	for range 10000 {
		m.Line(" " + strings.Repeat("y", 900))
	}
	if m.value.Len() > maxFieldValue+1000 {
		t.Errorf("kept %d octets of one field", m.value.Len())
	}
}

func describe(c *Content) string {
	var f []string
	switch {
	case c.EndOfHeader:
		return "end-of-header"
	case c.Folded:
		f = append(f, "folded", c.Field)
	case c.Header:
		f = append(f, "header", c.Field)
	case c.Boundary != "":
		f = append(f, "boundary", c.Boundary)
	default:
		f = append(f, "body")
		for _, s := range []string{c.MediaType, c.Encoding, c.Charset} {
			if s != "" {
				f = append(f, s)
			}
		}
	}
	if c.Stuffed {
		f = append(f, "stuffed")
	}
	return strings.Join(f, " ")
}

func FuzzMessage(f *testing.F) {
	f.Add("Content-Type: multipart/mixed; boundary=x\n\n--x\nA: b\n\n..y\n--x--\n")
	f.Fuzz(func(t *testing.T, msg string) {
		var m Message
		for _, l := range strings.Split(msg, "\n") {
			m.Line(l)
		}
		if m.value.Len() > maxFieldValue+len(msg)+1 {
			t.Fatalf("value grew to %d", m.value.Len())
		}
	})
}
