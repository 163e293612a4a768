package decode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SaveAttachments writes every attachment in the tree into dir and returns
// the names written. Names come from the message, so they are cleaned to a
// bare file name and written through os.Root: nothing can land outside dir,
// and no existing file is overwritten.
func SaveAttachments(root *Part, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--save: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("--save: %w", err)
	}
	defer r.Close()
	var saved []string
	var walk func(p *Part) error
	walk = func(p *Part) error {
		for _, c := range p.Parts {
			if err := walk(c); err != nil {
				return err
			}
		}
		if !p.IsAttachment() {
			return nil
		}
		name, err := writeNew(r, safeName(p), p.Data)
		if err != nil {
			return err
		}
		saved = append(saved, filepath.Join(dir, name))
		return nil
	}
	return saved, walk(root)
}

// safeName reduces an attachment's name to a plain file name.
func safeName(p *Part) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, p.Filename)
	name = strings.TrimLeft(name, ". ")
	if name == "" {
		name = "part-" + strings.ReplaceAll(p.Path, ".", "-") + ".bin"
	}
	return name
}

// writeNew writes data to name in r, adding -1, -2 ... when it exists.
func writeNew(r *os.Root, name string, data []byte) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		try := name
		if i > 0 {
			try = fmt.Sprintf("%s-%d%s", stem, i, ext)
		}
		f, err := r.OpenFile(try, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("save %q: %w", try, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return "", fmt.Errorf("save %q: %w", try, err)
		}
		return try, f.Close()
	}
	return "", fmt.Errorf("save %q: too many files of that name", name)
}
