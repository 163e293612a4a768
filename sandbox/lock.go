package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"maillab/trace/i18n"
)

// dirLock is an exclusive lock on a provider's part of a --maildir
// directory: two sandboxes serving one domain from one directory would
// both deliver its relay queue and both grant the same POP3 mailbox. (Two
// processes serving different domains, with --only, may share it.)
type dirLock struct{ f *os.File }

// lockDir takes the lock of domain in dir (the file .DOMAIN.lock in it)
// and writes this process's id into it. A lock another process holds is an
// error that names that process.
func lockDir(dir, domain string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, i18n.Errorf("maildir %s: %w", dir, err)
	}
	name := filepath.Join(dir, "."+domain+".lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, i18n.Errorf("maildir %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, i18n.Errorf("--maildir %s: %s is served from it by another maillab sandbox (process %s); stop it, or give each sandbox its own directory",
				dir, domain, pidOf(holder))
		}
		return nil, i18n.Errorf("maildir %s: lock: %w", dir, err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &dirLock{f}, nil
}

// pidOf reads the process id a lock file holds.
func pidOf(b []byte) string {
	pid := strings.TrimSpace(string(b))
	if _, err := strconv.Atoi(pid); err != nil {
		return "unknown"
	}
	return pid
}

// release gives the lock up.
func (l *dirLock) release() {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
