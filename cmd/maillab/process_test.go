package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
)

// process is this test binary run as `maillab ...` (see TestMain), with
// its standard output watched line by line.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func startMaillab(t *testing.T, args ...string) *process {
	t.Helper()
	return startMaillabEnv(t, nil, args...)
}

// startMaillabEnv is startMaillab with more environment variables.
func startMaillabEnv(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "MAILLAB_RUN_MAIN=1"), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, added: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.added <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

// waitLine waits until the process has printed a line containing text.
func (p *process) waitLine(t *testing.T, text string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if strings.Contains(l, text) {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
		select {
		case <-p.added:
		case <-deadline:
			t.Fatalf("the process never printed %q; it printed:\n%s", text, strings.Join(p.lines, "\n"))
		}
	}
}

// stop sends SIGTERM and returns how long the process took to exit, and
// how it exited.
func (p *process) stop() (time.Duration, error) {
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	return time.Since(start), err
}

// TestTwoProcessesRelayAndStop: sohu and sina run as separate processes
// (--only); a message submitted to sohu crosses to sina over loopback,
// sohu's relay proving itself to sina with a client certificate; on
// SIGTERM each process ends its sessions and exits 0.
func TestTwoProcessesRelayAndStop(t *testing.T) {
	offset := freeOffset(t)
	off := strconv.Itoa(offset)
	sina := startMaillab(t, "sandbox", "--only", "sina.com", "--port-offset", off, "--color", "never")
	sohu := startMaillab(t, "sandbox", "--only", "sohu.com", "--port-offset", off, "--color", "never")
	sina.waitLine(t, "every line of every session")
	sohu.waitLine(t, "every line of every session")

	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(2525+offset))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	expect := func(prefix string) {
		for {
			l, err := r.ReadString('\n')
			if err != nil || !strings.HasPrefix(l, prefix[:3]) {
				t.Fatalf("want %s, got %q (%v)", prefix, l, err)
			}
			if l[3] == ' ' {
				if !strings.HasPrefix(l, prefix) {
					t.Fatalf("want %s, got %q", prefix, l)
				}
				return
			}
		}
	}
	expect("220")
	for _, step := range []struct{ line, want string }{
		{"EHLO me", "250"}, {"AUTH PLAIN AGdhY2wAMTIzNDU2", "235"}, {"MAIL FROM:<gacl@sohu.com>", "250"},
		{"RCPT TO:<bbb@sina.com>", "250 2.1.5"}, {"DATA", "354"}, {"Subject: across processes\r\n\r\nhi\r\n.", "250 2.0.0"},
	} {
		c.Write([]byte(step.line + "\r\n"))
		expect(step.want)
	}
	sohu.waitLine(t, "relayed")
	sina.waitLine(t, "stored")
	// sohu's relay proved itself with the sandbox CA's certificate, so sina
	// took the message's journey from it (XFORWARD IDENT)
	sina.waitLine(t, "250 2.0.0 OK, forwarded attributes noted")

	idle, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(1111+offset)) // an idle POP3 session at stop time
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(idle).ReadString('\n')
	for name, p := range map[string]*process{"sina": sina, "sohu": sohu} {
		took, err := p.stop()
		if err != nil {
			t.Errorf("%s exited with %v", name, err)
		}
		if took > 6*time.Second {
			t.Errorf("%s took %s to stop", name, took)
		}
	}
}

// dialWhenUp connects to addr, waiting for a process that is starting.
func dialWhenUp(t *testing.T, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond) // another process: no event to wait on
	}
}

// TestStalledTerminalSlowsNothing: `maillab sandbox | sleep 60`. Nobody
// reads the wiretap; after far more than a pipe holds, the servers still
// answer at once, and SIGTERM still stops the process within 6 seconds.
func TestStalledTerminalSlowsNothing(t *testing.T) {
	offset := freeOffset(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close() // never read
	cmd := exec.Command(os.Args[0], "sandbox", "--port-offset", strconv.Itoa(offset), "--color", "never")
	cmd.Env = append(os.Environ(), "MAILLAB_RUN_MAIN=1")
	cmd.Stdout, cmd.Stderr = w, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	addr := "127.0.0.1:" + strconv.Itoa(2526+offset)
	c := dialWhenUp(t, addr)
	br := bufio.NewReader(c)
	say := func(line, want string) {
		if line != "" {
			c.Write([]byte(line + "\r\n"))
		}
		for {
			l, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(l, want) {
				t.Fatalf("%q: want %s, got %q (%v)", line, want, l, err)
			}
			if len(l) < 4 || l[3] != '-' {
				return
			}
		}
	}
	say("", "220")
	say("EHLO me", "250")
	body := strings.Repeat("a line of the body that the wiretap shows\r\n", 400)
	for range 20 { // about 20 x 400 wiretap lines: far more than the 64 KiB a pipe holds
		say("MAIL FROM:<x@example.org>", "250")
		say("RCPT TO:<bbb@sina.com>", "250")
		say("DATA", "354")
		say(body+".", "250")
	}
	fresh := dialWhenUp(t, addr)
	if l, err := bufio.NewReader(fresh).ReadString('\n'); err != nil || !strings.HasPrefix(l, "220") {
		t.Fatalf("a new connection got %q (%v) while the wiretap was stalled", l, err)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("SIGTERM took %s with a stalled terminal", took)
	}
}

// TestListenWarningComesFirst: the warning about a non-loopback address
// is printed before anything listens: here the ports are taken, so the
// sandbox never starts, and the warning is there all the same.
func TestListenWarningComesFirst(t *testing.T) {
	offset := freeOffset(t)
	taken, err := net.Listen("tcp", "0.0.0.0:"+strconv.Itoa(2525+offset))
	if err != nil {
		sandboxtest.Unavailable(t, "cannot listen on 0.0.0.0 here: %v", err)
	}
	defer taken.Close()
	_, errOut, err := execute(t, context.Background(), "", "sandbox", "--listen", "0.0.0.0", "--port-offset", strconv.Itoa(offset))
	if err == nil || !strings.Contains(errOut, "WARNING: listening on 0.0.0.0") {
		t.Errorf("err %v, stderr %q", err, errOut)
	}
}
