package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/emersion/go-maildir"
)

// MaildirStore keeps mailboxes on disk as Maildir folders,
// DIR/<domain>/<user>/{tmp,new,cur}, so a restart loses nothing. A message
// is written to tmp, synced to disk, then renamed into cur: it is on disk
// before Deliver returns (and so before the server says 250).
type MaildirStore struct {
	root string
	mu   sync.Mutex
	init map[string]bool // mailbox folders created
}

// NewMaildirStore opens (and creates) the Maildir tree under root.
func NewMaildirStore(root string) (*MaildirStore, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("maildir %s: %w", root, err)
	}
	return &MaildirStore{root: root, init: map[string]bool{}}, nil
}

// dir returns owner's Maildir, creating it on first use.
func (s *MaildirStore) dir(owner Address) (maildir.Dir, error) {
	d := maildir.Dir(filepath.Join(s.root, owner.Domain, owner.Local))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.init[string(d)] {
		if err := os.MkdirAll(filepath.Dir(string(d)), 0o700); err != nil {
			return "", err
		}
		if err := d.Init(); err != nil {
			return "", fmt.Errorf("maildir %s: %w", d, err)
		}
		s.init[string(d)] = true
	}
	return d, nil
}

// Deliver implements Store.
func (s *MaildirStore) Deliver(owner Address, data []byte) (string, error) {
	d, err := s.dir(owner)
	if err != nil {
		return "", err
	}
	msg, w, err := d.Create(nil)
	if err != nil {
		return "", fmt.Errorf("maildir %s: %w", d, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return "", fmt.Errorf("maildir %s: %w", d, err)
	}
	if f, ok := w.(interface{ Sync() error }); ok {
		if err := f.Sync(); err != nil {
			w.Close()
			return "", fmt.Errorf("maildir %s: sync: %w", d, err)
		}
	}
	if err := w.Close(); err != nil { // renames tmp/KEY into cur/
		return "", fmt.Errorf("maildir %s: %w", d, err)
	}
	if err := syncDir(filepath.Join(string(d), "cur")); err != nil {
		return "", err
	}
	return msg.Key(), nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// List implements Store: messages other programs put in new/ are taken
// into cur/ first. Oldest first.
func (s *MaildirStore) List(owner Address) ([]MessageInfo, error) {
	d, err := s.dir(owner)
	if err != nil {
		return nil, err
	}
	if _, err := d.Unseen(); err != nil {
		return nil, fmt.Errorf("maildir %s: %w", d, err)
	}
	msgs, err := d.Messages()
	if err != nil {
		return nil, fmt.Errorf("maildir %s: %w", d, err)
	}
	type entry struct {
		info MessageInfo
		mod  int64
	}
	entries := make([]entry, 0, len(msgs))
	for _, m := range msgs {
		fi, err := os.Stat(m.Filename())
		if err != nil {
			continue // removed meanwhile
		}
		entries = append(entries, entry{MessageInfo{ID: m.Key(), Size: fi.Size()}, fi.ModTime().UnixNano()})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].mod != entries[j].mod {
			return entries[i].mod < entries[j].mod
		}
		return entries[i].info.ID < entries[j].info.ID
	})
	infos := make([]MessageInfo, len(entries))
	for i, e := range entries {
		infos[i] = e.info
	}
	return infos, nil
}

// Read implements Store.
func (s *MaildirStore) Read(owner Address, id string) ([]byte, error) {
	d, err := s.dir(owner)
	if err != nil {
		return nil, err
	}
	m, err := d.MessageByKey(id)
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", id, owner, ErrNoMessage)
	}
	r, err := m.Open()
	if err != nil {
		return nil, fmt.Errorf("read %s in %s: %w", id, owner, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Delete implements Store.
func (s *MaildirStore) Delete(owner Address, ids []string) error {
	d, err := s.dir(owner)
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, err := d.MessageByKey(id)
		if err != nil {
			continue // already gone
		}
		if err := m.Remove(); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("delete %s in %s: %w", id, owner, err)
		}
	}
	return syncDir(filepath.Join(string(d), "cur"))
}
