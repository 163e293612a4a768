// Package sandboxtest holds what the tests of every package share: port
// offsets for sandboxes on the default ports, the tests' own config
// directory, one helper for tests that need a program from outside
// (MAILLAB_REQUIRE_TOOLS turns a skip into a failure), waits that always
// have a deadline, goroutines that report to their test, and a check that
// no goroutine outlives the tests (go.uber.org/goleak).
//
// Each package's tests search their own range of offsets, so packages
// tested in parallel do not collide; every port stays below Linux's
// ephemeral range (32768), where client sockets would.
package sandboxtest

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
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
// inherit both. When the tests pass, a goroutine still running after them
// fails the package: every test must stop what it started.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "maillab-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Setenv("MAILLAB_LANG", "en")
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(leakOptions...); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines outlived the tests (each test must stop what it starts):\n%v\n", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// leakOptions are the goroutines that may outlive a package's tests
// because the Go runtime or a library keeps them for the process's life.
var leakOptions = []goleak.Option{
	// net/http keeps one per idle keep-alive connection of the default
	// client until the connection times out.
	goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
	goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
}
