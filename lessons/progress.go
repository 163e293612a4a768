package lessons

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"maillab/trace/i18n"
)

// Progress records which lessons a learner has passed. It lives in a file:
// the one given, else $MAILLAB_PROGRESS, else the user's config directory
// (e.g. ~/.config/maillab/progress.json), which everyone sharing that
// login shares.
type Progress struct {
	Passed map[string]time.Time `json:"passed"` // lesson number -> when
	path   string
}

// LoadProgress reads the learner's progress from file ("": the default
// place); a missing file is no progress.
func LoadProgress(file string) (*Progress, error) {
	if file == "" {
		file = os.Getenv("MAILLAB_PROGRESS")
	}
	if file == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil, i18n.Errorf("no config directory for progress (give --progress FILE): %w", err)
		}
		file = filepath.Join(dir, "maillab", "progress.json")
	}
	p := &Progress{Passed: map[string]time.Time{}, path: file}
	data, err := os.ReadFile(p.path)
	if os.IsNotExist(err) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, i18n.Errorf("%s: %w", p.path, err)
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

// Path is where the progress is kept.
func (p *Progress) Path() string { return p.path }

// Reset forgets every lesson passed.
func (p *Progress) Reset() error {
	p.Passed = map[string]time.Time{}
	if err := os.Remove(p.path); err != nil && !os.IsNotExist(err) {
		return i18n.Errorf("reset progress: %w", err)
	}
	return nil
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
