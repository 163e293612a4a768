package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"maillab/trace/i18n"
)

// spool keeps a provider's relay queue on disk, so that a restart neither
// loses a queued message nor delivers it twice: each envelope is a message
// file and a metadata file, written and synced before the 250; the
// metadata file is removed the moment the next hop has said 250.
type spool struct {
	dir string
}

// spooled is an envelope's metadata on disk.
type spooled struct {
	ID       string    `json:"id"`
	Journey  string    `json:"journey,omitempty"`
	BounceOf string    `json:"bounce_of,omitempty"`
	From     string    `json:"from"`
	To       []string  `json:"to"`
	Received time.Time `json:"received"`
	Attempts int       `json:"attempts"`
	LastErr  string    `json:"last_error,omitempty"`
}

func newSpool(root, domain string) (*spool, error) {
	dir := filepath.Join(root, ".queue", domain)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, i18n.Errorf("queue %s: %w", dir, err)
	}
	return &spool{dir: dir}, nil
}

// key names an envelope's files; one queue id may have one envelope per
// destination domain.
func (sp *spool) key(e *envelope) string { return e.ID + "-" + e.To[0].Domain }

// save writes e (message first, then metadata) and syncs both.
func (sp *spool) save(e *envelope, withData bool) error {
	base := filepath.Join(sp.dir, sp.key(e))
	if withData {
		if err := writeSynced(base+".msg", e.Data); err != nil {
			return err
		}
	}
	meta := spooled{ID: e.ID, Journey: e.Journey, BounceOf: e.BounceOf, From: e.From, Received: e.Received, Attempts: e.Attempts, LastErr: e.LastErr}
	for _, r := range e.To {
		meta.To = append(meta.To, r.String())
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return writeSynced(base+".json", b)
}

// remove forgets a delivered envelope: metadata first, so a crash between
// the two leaves an orphan message file, never a second delivery.
func (sp *spool) remove(e *envelope) error {
	base := filepath.Join(sp.dir, sp.key(e))
	if err := os.Remove(base + ".json"); err != nil && !os.IsNotExist(err) {
		return err
	}
	os.Remove(base + ".msg")
	return syncDir(sp.dir)
}

// load reads every complete envelope, after removing what a crash left
// half-written: temporary files, and message files whose metadata was
// already removed (delivered) or never written (not accepted).
func (sp *spool) load() ([]*envelope, error) {
	sp.sweep()
	names, err := filepath.Glob(filepath.Join(sp.dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*envelope
	for _, name := range names {
		e, err := sp.read(strings.TrimSuffix(name, ".json"))
		if err != nil {
			return nil, i18n.Errorf("queue file %s: %w", name, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (sp *spool) read(base string) (*envelope, error) {
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		return nil, err
	}
	var meta spooled
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(base + ".msg")
	if err != nil {
		return nil, err
	}
	e := &envelope{ID: meta.ID, Journey: meta.Journey, BounceOf: meta.BounceOf, From: meta.From, Data: data, Received: meta.Received, Attempts: meta.Attempts, LastErr: meta.LastErr}
	for _, r := range meta.To {
		a, err := ParseAddress(r)
		if err != nil {
			return nil, err
		}
		e.To = append(e.To, a)
	}
	if len(e.To) == 0 {
		return nil, i18n.Errorf("no recipients")
	}
	if e.Journey == "" {
		e.Journey = e.ID // queued by a version that kept no journey
	}
	return e, nil
}

// writeSynced writes a file via a temporary name, syncs it and renames it.
func writeSynced(name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	return syncDir(filepath.Dir(name))
}

// sweep removes the leftovers of a crash.
func (sp *spool) sweep() {
	tmps, _ := filepath.Glob(filepath.Join(sp.dir, "*.tmp"))
	for _, t := range tmps {
		os.Remove(t)
	}
	msgs, _ := filepath.Glob(filepath.Join(sp.dir, "*.msg"))
	for _, m := range msgs {
		if _, err := os.Stat(strings.TrimSuffix(m, ".msg") + ".json"); os.IsNotExist(err) {
			os.Remove(m)
		}
	}
}
