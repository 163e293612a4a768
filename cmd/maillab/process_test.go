package main

import (
	"bufio"
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
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MAILLAB_RUN_MAIN=1")
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
// (--only); a message submitted to sohu crosses to sina over loopback; on
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
