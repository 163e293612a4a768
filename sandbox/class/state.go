package class

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"maillab/trace/i18n"
)

// stateFile is where a class's tiles and grades are kept, in Options.Dir;
// secretsFile keeps the teacher's token and the postmaster's password.
const (
	stateFile   = "class.json"
	secretsFile = "class-secrets.json"
	maxState    = 64 << 20 // a state file larger than this is not ours
)

// saveEvery is how often a changed state is written.
const saveEvery = 2 * time.Second

// state is what class.json holds.
type state struct {
	Version int                         `json:"version"`
	Tiles   map[string]*tile            `json:"tiles"`
	Grades  map[string]map[string]Grade `json:"grades"`
}

// saver writes the room's state when it changed, every saveEvery.
type saver struct {
	room    *Room
	changed bool // guarded by room.mu
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
	err     error
}

func startSaver(r *Room) *saver {
	s := &saver{room: r, quit: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *saver) loop() {
	defer close(s.done)
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.err = s.room.save(false)
		case <-s.quit:
			s.err = s.room.save(true)
			return
		}
	}
}

// stop writes the state a last time and stops.
func (s *saver) stop() error {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	return s.err
}

// save writes the state when it changed (or always).
func (r *Room) save(always bool) error {
	r.mu.Lock()
	changed := r.saving.changed
	r.saving.changed = false
	st := state{Version: 1, Tiles: make(map[string]*tile, len(r.tiles))}
	for key, t := range r.tiles {
		copied := *t
		copied.Online = 0 // sessions do not survive a restart
		if j := r.trips.find(t.Message); j != nil {
			copied.Step, copied.Fate, copied.Reason, copied.To = j.step, j.fate, j.reason, j.to // the journey is not kept: how far it got is
		}
		st.Tiles[key] = &copied
	}
	r.mu.Unlock()
	if !r.book.takeChanged() && !changed && !always {
		return nil
	}
	st.Grades = r.book.All()
	data, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return i18n.Errorf("keeping the class: %w", err)
	}
	return writeFile(filepath.Join(r.opts.Dir, stateFile), data, 0o644)
}

// load takes the state kept in the room's directory, if any.
func (r *Room) load() error {
	data, err := readFile(filepath.Join(r.opts.Dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return i18n.Errorf("%s: not a class kept by maillab: %w", filepath.Join(r.opts.Dir, stateFile), err)
	}
	r.mu.Lock()
	for key, kept := range st.Tiles {
		if kept == nil || r.student(firstAccount(kept)) != key {
			continue // an account no longer in the class
		}
		t := r.tiles[key]
		if t == nil {
			t = &tile{}
			r.tiles[key] = t
		}
		*t = *kept
		t.Online = 0
	}
	r.mu.Unlock()
	r.book.restore(st.Grades)
	return nil
}

// firstAccount is an address of a kept tile.
func firstAccount(t *tile) string {
	if len(t.Accounts) == 0 {
		return ""
	}
	return t.Accounts[0]
}

// Secrets are the class's secrets kept across a restart: the teacher's
// token and the postmaster's password.
type Secrets struct {
	Token      string `json:"token"`
	Postmaster string `json:"postmaster"`
}

// LoadSecrets reads the secrets kept in dir; none kept yet is no error.
func LoadSecrets(dir string) (Secrets, error) {
	var s Secrets
	data, err := readFile(filepath.Join(dir, secretsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, i18n.Errorf("%s: not the class's secrets: %w", filepath.Join(dir, secretsFile), err)
	}
	return s, nil
}

// SaveSecrets keeps the secrets in dir, readable by this user only.
func SaveSecrets(dir string, s Secrets) error {
	data, _ := json.Marshal(s)
	return writeFile(filepath.Join(dir, secretsFile), data, 0o600)
}

// readFile reads a small regular file (never through a link).
func readFile(name string) ([]byte, error) {
	info, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, i18n.Errorf("%s: not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxState+1))
	if err != nil {
		return nil, i18n.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxState {
		return nil, i18n.Errorf("%s: larger than %s", name, "64 MiB")
	}
	return data, nil
}

// writeFile replaces a file all at once: written beside it, synced, then
// renamed over it, so a crash leaves the old one or the new one.
func writeFile(name string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return i18n.Errorf("keeping the class: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".class-*")
	if err != nil {
		return i18n.Errorf("keeping the class: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err == nil {
		_, err = tmp.Write(data)
		if err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		return i18n.Errorf("keeping the class in %s: %w", name, err)
	}
	return nil
}
