// Package sandboxtest helps tests that run sandboxes on the default ports
// (moved by an offset), and keeps their files out of the user's home.
// Each package's tests search their own range of offsets, so packages
// tested in parallel do not collide; every port stays below Linux's
// ephemeral range (32768), where client sockets would.
package sandboxtest

import (
	"net"
	"os"
	"strconv"
	"testing"
)

// DefaultPorts are every port a default sandbox and its page listen on:
// SMTP, SMTPS, POP3 and POP3S of both providers, and the page.
var DefaultPorts = []int{2525, 2526, 4465, 4466, 1110, 1111, 1995, 1996, 8025}

// Range is a package's own range of port offsets.
type Range struct{ First, Last, Step int }

// FreeOffset finds an offset in r at which every default port is free.
func (r Range) FreeOffset(t testing.TB) int {
	t.Helper()
	for offset := r.First; offset < r.Last; offset += r.Step {
		if free(offset) {
			return offset
		}
	}
	t.Fatalf("no free port offset in %d..%d", r.First, r.Last)
	return 0
}

func free(offset int) bool {
	for _, port := range DefaultPorts {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+offset))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// Main runs a package's tests with a config directory of their own (the
// sandbox CA, progress and history go there, never to the user's) and in
// English whatever the machine's locale (a test of another language says
// so), and exits with their status. The processes the tests start
// inherit both.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "maillab-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Setenv("MAILLAB_LANG", "en")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
