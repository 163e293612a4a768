package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"maillab/sandbox"
	"maillab/sandbox/sandboxtest"
	"maillab/sandbox/sandboxtest/live"
)

// terminal records what a program under a pseudo-terminal prints and lets
// a test wait for text to appear.
type terminal struct {
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{}
}

func (tm *terminal) Write(p []byte) (int, error) {
	tm.mu.Lock()
	tm.out.Write(p)
	tm.mu.Unlock()
	select {
	case tm.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

// text returns what the terminal shows so far.
func (tm *terminal) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// waitFor waits until the output holds text n times.
func (tm *terminal) waitFor(t *testing.T, text string, n int) {
	t.Helper()
	tm.waitUntil(t, text, func(out string) bool { return strings.Count(out, text) >= n })
}

// waitAfter waits until text appears after the last marker: a prompt
// drawn after an answer means the prompt is reading again.
func (tm *terminal) waitAfter(t *testing.T, marker, text string) {
	t.Helper()
	tm.waitUntil(t, text+" after "+marker, func(out string) bool {
		i := strings.LastIndex(out, marker)
		return i >= 0 && strings.Contains(out[i:], text)
	})
}

func (tm *terminal) waitUntil(t *testing.T, what string, done func(string) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		tm.mu.Lock()
		ok := done(tm.out.String())
		tm.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-tm.changed:
		case <-deadline:
			tm.mu.Lock()
			defer tm.mu.Unlock()
			t.Fatalf("waited for %s; the terminal shows:\n%s", what, tm.out.String())
		}
	}
}

// TestPracticeInteractive drives the prompt through a pseudo-terminal:
// the prompt shows the state, line editing and history work, Ctrl-D leaves.
func TestPracticeInteractive(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	smtpAddr, _ := sb.Addr("sohu.com", "SMTP")

	cmd := exec.Command(os.Args[0], "practice", "smtp", "--addr", smtpAddr, "--color", "never")
	cmd.Env = append(os.Environ(), "MAILLAB_RUN_MAIN=1", "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	f, err := pty.Start(cmd)
	if err != nil {
		sandboxtest.Unavailable(t, "no pseudo-terminal here: %v", err)
	}
	defer f.Close()
	tm := &terminal{changed: make(chan struct{}, 1)}
	go func() { bufCopy(tm, f) }()

	tm.waitFor(t, "smtp.sohu.com [greeted]>", 1)
	f.Write([]byte("EHLO me\r"))
	tm.waitFor(t, "smtp.sohu.com [ready]>", 1)
	f.Write([]byte("NOOX\x7fP\r")) // a typo, erased with Backspace
	tm.waitFor(t, "250 2.0.0 OK", 1)
	tm.waitAfter(t, "250 2.0.0 OK", "[ready]>")
	f.Write([]byte("\x1b[A\r")) // Up arrow: the last line again
	tm.waitFor(t, "250 2.0.0 OK", 2)
	tm.waitAfter(t, "250 2.0.0 OK", "[ready]>")
	f.Write([]byte{4}) // Ctrl-D on an empty line
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("Ctrl-D did not end the prompt")
	}
}

func bufCopy(dst *terminal, src *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			dst.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// underTerminal starts maillab with args under a pseudo-terminal.
func underTerminal(t *testing.T, args ...string) (*exec.Cmd, *os.File, *terminal) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MAILLAB_RUN_MAIN=1", "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	f, err := pty.Start(cmd)
	if err != nil {
		sandboxtest.Unavailable(t, "no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { f.Close(); cmd.Process.Kill() })
	tm := &terminal{changed: make(chan struct{}, 1)}
	go bufCopy(tm, f)
	return cmd, f, tm
}

// exitsWith waits for the process and checks its exit status.
func exitsWith(t *testing.T, cmd *exec.Cmd, want int, within time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		if got := cmd.ProcessState.ExitCode(); got != want {
			t.Errorf("exit status %d, want %d", got, want)
		}
	case <-time.After(within):
		t.Fatalf("still running %s after Ctrl-C", within)
	}
}

// TestCtrlC: one rule everywhere. In practice, Ctrl-C clears a typed
// line and, at an empty prompt, leaves; play --step and a lesson waiting
// for Enter stop at once. Each exits 130.
func TestCtrlC(t *testing.T) {
	t.Run("practice", func(t *testing.T) {
		sb := live.Start(t, sandbox.Config{})
		addr, _ := sb.Addr("sohu.com", "SMTP")
		cmd, f, tm := underTerminal(t, "practice", "smtp", "--addr", addr, "--color", "never")
		tm.waitFor(t, "[greeted]>", 1)
		f.Write([]byte("EHLO half-typed\x03"))
		tm.waitFor(t, "^C", 1)
		tm.waitAfter(t, "^C", "[greeted]>") // the prompt again (it is redrawn at every key, so count after ^C)
		f.Write([]byte("\x03"))
		exitsWith(t, cmd, 130, 5*time.Second)
		if strings.Contains(tm.text(), "C: EHLO half-typed") {
			t.Error("the cleared line was sent")
		}
	})
	t.Run("play --step", func(t *testing.T) {
		cmd, f, tm := underTerminal(t, "play", "--step", "--color", "never")
		tm.waitFor(t, "[press Enter for step ①]", 1)
		f.Write([]byte("\x03"))
		exitsWith(t, cmd, 130, 5*time.Second)
	})
	t.Run("lesson", func(t *testing.T) {
		cmd, f, tm := underTerminal(t, "lesson", "1", "--color", "never")
		tm.waitFor(t, "[Enter to go on]", 1)
		f.Write([]byte("\x03"))
		exitsWith(t, cmd, 130, 5*time.Second)
	})
}
