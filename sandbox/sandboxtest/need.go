package sandboxtest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireTools is the environment variable that makes a missing program
// a failure instead of a skip: CI sets it (MAILLAB_REQUIRE_TOOLS=1), so a
// real-client test can never go quietly green without its client.
const RequireTools = "MAILLAB_REQUIRE_TOOLS"

// debianPackages names the Debian package of each program the tests run,
// where it differs from the program's name.
var debianPackages = map[string]string{
	"nc":      "netcat-openbsd",
	"openssl": "openssl",
	"dovecot": "dovecot-pop3d",
}

// NeedTool returns the path of a program a test runs (a real mail client,
// a browser). When it is not installed the test is skipped, saying what
// to install, or fails under MAILLAB_REQUIRE_TOOLS=1.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		pkg := debianPackages[name]
		if pkg == "" {
			pkg = name
		}
		Unavailable(t, "%s is not installed (apt-get install %s)", name, pkg)
	}
	return path
}

// Unavailable skips a test that cannot run here (a program or a facility
// of the machine is missing), or fails it under MAILLAB_REQUIRE_TOOLS=1.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireTools) == "1" {
		t.Fatalf(format+"; failing because "+RequireTools+"=1", args...)
	}
	t.Skipf(format+"; skipping (set "+RequireTools+"=1 to fail instead)", args...)
}

// Receive waits for one value from ch, failing the test with what was
// awaited when none comes within d. No test waits without a deadline.
func Receive[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("waited %s for %s", d, what)
	}
	var zero T
	return zero
}

// Eventually polls cond until it holds, failing the test with what was
// awaited after d. For state another goroutine changes with nothing to
// wait on (a server noticing a dropped connection).
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Group runs goroutines for one test. Each gets a testing.TB whose Fatal
// reports to the test (Error is safe from any goroutine) and ends only
// that goroutine: FailNow must never be called outside the test's own.
// Wait, called by the test, returns when all have ended; it is also
// registered as a cleanup, so none outlives the test.
type Group struct {
	t  testing.TB
	wg sync.WaitGroup
}

// NewGroup returns a Group for t.
func NewGroup(t testing.TB) *Group {
	g := &Group{t: t}
	t.Cleanup(g.Wait)
	return g
}

// Go runs fn in a goroutine of the group.
func (g *Group) Go(fn func(t testing.TB)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(background{g.t})
	}()
}

// Wait waits for every goroutine of the group.
func (g *Group) Wait() { g.wg.Wait() }

// background is a testing.TB for a goroutine other than the test's.
type background struct{ testing.TB }

func (b background) FailNow() {
	b.TB.Fail()
	runtime.Goexit()
}

func (b background) Fatal(args ...any) {
	b.TB.Helper()
	b.TB.Error(args...)
	runtime.Goexit()
}

func (b background) Fatalf(format string, args ...any) {
	b.TB.Helper()
	b.TB.Errorf(format, args...)
	runtime.Goexit()
}

func (b background) SkipNow() {
	b.TB.Error("a goroutine of the test tried to skip it")
	runtime.Goexit()
}

func (b background) Skip(args ...any)                 { b.SkipNow() }
func (b background) Skipf(format string, args ...any) { b.SkipNow() }

// Serve listens on a free loopback port and serves each connection with
// serve (then closes it), until the test ends; it returns the address.
func Serve(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				serve(conn)
			}()
		}
	}()
	return l.Addr().String()
}

// YesServer is an SMTP server with the commonest student bug: it says 250
// to everything, RCPT before MAIL included, and 221 to QUIT. It returns
// where it listens.
func YesServer(t testing.TB) string {
	t.Helper()
	return Serve(t, func(conn net.Conn) {
		conn.Write([]byte("220 yes.example ESMTP\r\n"))
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.EqualFold(strings.TrimSpace(line), "QUIT") {
				conn.Write([]byte("221 bye\r\n"))
				return
			}
			conn.Write([]byte("250 ok\r\n"))
		}
	})
}
