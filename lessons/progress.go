package lessons

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Progress records which lessons a learner has passed. It lives in the
// user's config directory (e.g. ~/.config/maillab/progress.json).
type Progress struct {
	Passed map[string]time.Time `json:"passed"` // lesson number -> when
	path   string
}

// LoadProgress reads the learner's progress; a missing file is no progress.
func LoadProgress() (*Progress, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("no config directory for progress: %w", err)
	}
	p := &Progress{Passed: map[string]time.Time{}, path: filepath.Join(dir, "maillab", "progress.json")}
	data, err := os.ReadFile(p.path)
	if os.IsNotExist(err) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("%s: %w", p.path, err)
	}
	if p.Passed == nil {
		p.Passed = map[string]time.Time{}
	}
	return p, nil
}

// Done reports whether lesson n was passed.
func (p *Progress) Done(n int) bool {
	_, ok := p.Passed[strconv.Itoa(n)]
	return ok
}

// MarkPassed records lesson n as passed and saves.
func (p *Progress) MarkPassed(n int) error {
	p.Passed[strconv.Itoa(n)] = time.Now().UTC()
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(p.path, data, 0o600)
}
