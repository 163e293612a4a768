package decode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"maillab/trace/i18n"
)

// saver writes attachments into one directory through os.Root: names come
// from the message, so they are cleaned to a bare file name, nothing can
// land outside the directory, and no existing file is overwritten.
type saver struct {
	dir  string
	root *os.Root
}

func newSaver(dir string) (*saver, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, i18n.Errorf("--save: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, i18n.Errorf("--save: %w", err)
	}
	return &saver{dir: dir, root: r}, nil
}

func (s *saver) close() { s.root.Close() }

// path is where a file created by create lives.
func (s *saver) path(f *os.File) string { return filepath.Join(s.dir, filepath.Base(f.Name())) }

// create makes a new file for p, adding -1, -2 ... to a name that exists.
func (s *saver) create(p *Part) (*os.File, error) {
	name := safeName(p)
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		try := name
		if i > 0 {
			try = fmt.Sprintf("%s-%d%s", stem, i, ext)
		}
		f, err := s.root.OpenFile(try, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return nil, i18n.Errorf("save %q: %w", try, err)
		}
		return f, nil
	}
	return nil, i18n.Errorf("save %q: too many files of that name", name)
}

// maxNameBytes is the longest file name saved; most file systems allow
// 255 octets, and the -1, -2 ... suffix needs room.
const maxNameBytes = 200

// safeName reduces an attachment's name to a plain file name: no path,
// no control characters, no bidirectional overrides (which make
// "evil\u202Efdp.exe" look like "evilexe.pdf"), and short enough to create,
// keeping its extension.
func safeName(p *Part) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' || r == 0x7f || r >= 0x80 && r <= 0x9f || IsBidiControl(r) || r == utf8.RuneError {
			return '_'
		}
		return r
	}, p.Filename)
	name = strings.TrimLeft(name, ". ")
	if name == "" {
		name = "part-" + strings.ReplaceAll(p.Path, ".", "-") + ".bin"
	}
	return shortenName(name, maxNameBytes)
}

// shortenName cuts a name to max octets at a character boundary, keeping
// a short extension.
func shortenName(name string, max int) string {
	if len(name) <= max {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	cut := max - len(ext)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return stem[:cut] + ext
}

// IsBidiControl reports whether r changes the direction of the text
// around it (Unicode's bidirectional formatting characters: U+061C,
// U+200E, U+200F, U+202A-U+202E, U+2066-U+2069).
func IsBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// SavedFiles lists the attachments written while parsing, in tree order.
func (m *Message) SavedFiles() []string {
	var out []string
	var walk func(p *Part)
	walk = func(p *Part) {
		if p.Saved != "" {
			out = append(out, p.Saved)
		}
		for _, c := range p.Parts {
			walk(c)
		}
	}
	walk(m.Root)
	return out
}
