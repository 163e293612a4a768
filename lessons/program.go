package lessons

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
)

// A program step runs a short mail program, as a learner would write it,
// against the lesson's sandbox. Its source says where to connect with
// placeholders: {{HOST}} (localhost, a name the sandbox's certificates
// carry), {{SMTP_PORT}} (sohu.com's SMTP), {{POP3_PORT}} (sina.com's
// POP3) and {{CA}} (the sandbox CA's certificate, a PEM file).

// runtime is how a language's program is run.
type runtime struct {
	name    string                    // for people: "Go", "Python"
	file    string                    // the source file's name
	command func() ([]string, string) // the command line, or why it cannot run here
}

// javaClassPath is where Debian's libjakarta-mail-java puts Jakarta Mail.
var javaClassPath = []string{"/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"}

var runtimes = map[string]runtime{
	"go": {"Go", "main.go", func() ([]string, string) {
		if _, err := exec.LookPath("go"); err != nil {
			return nil, i18n.N("Go is not installed (https://go.dev/dl/)")
		}
		return []string{"go", "run", "main.go"}, ""
	}},
	"python": {"Python", "main.py", func() ([]string, string) {
		if _, err := exec.LookPath("python3"); err != nil {
			return nil, i18n.N("Python 3 is not installed (apt-get install python3)")
		}
		return []string{"python3", "main.py"}, ""
	}},
	"java": {"Java", "Main.java", func() ([]string, string) {
		if _, err := exec.LookPath("java"); err != nil {
			return nil, i18n.N("Java is not installed (apt-get install default-jdk-headless)")
		}
		for _, jar := range javaClassPath {
			if _, err := os.Stat(jar); err != nil {
				return nil, i18n.N("Jakarta Mail is not installed (apt-get install libjakarta-mail-java)")
			}
		}
		return []string{"java", "-cp", strings.Join(javaClassPath, string(os.PathListSeparator)), "Main.java"}, ""
	}},
}

// programTimeout bounds a program's run (compiling included).
const programTimeout = 2 * time.Minute

// programRun is what running a program left: its output, and the
// verdicts on its sessions.
type programRun struct {
	output   []byte
	err      error
	missing  string // why it could not run here ("": it ran)
	verdicts []trace.Event
}

// problems counts the verdicts that found a problem.
func (r *programRun) problems() int {
	n := 0
	for _, v := range r.verdicts {
		if v.Facts != nil && trace.Problems(v.Facts.Findings) > 0 {
			n++
		}
	}
	return n
}

// source fills a program's placeholders with the sandbox's addresses.
func (env *environment) source(lines []string) (string, error) {
	smtpAddr, ok := env.sb.Addr("sohu.com", trace.SMTP)
	popAddr, ok2 := env.sb.Addr("sina.com", trace.POP3)
	if !ok || !ok2 {
		return "", i18n.Errorf("the sandbox has no sohu.com SMTP or sina.com POP3 server")
	}
	ca, err := env.caFile()
	if err != nil {
		return "", err
	}
	r := strings.NewReplacer("{{HOST}}", "localhost", "{{SMTP_PORT}}", port(smtpAddr), "{{POP3_PORT}}", port(popAddr), "{{CA}}", ca)
	return r.Replace(strings.Join(lines, "\n")) + "\n", nil
}

func port(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if _, err := strconv.Atoi(addr[i+1:]); err != nil {
		return addr
	}
	return addr[i+1:]
}

// caFile writes the sandbox CA's certificate where programs can read it.
func (env *environment) caFile() (string, error) {
	if env.caPath != "" {
		return env.caPath, nil
	}
	dir, err := os.MkdirTemp("", "maillab-lesson-")
	if err != nil {
		return "", i18n.Errorf("a folder for the programs: %w", err)
	}
	env.scratch = dir
	env.caPath = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(env.caPath, env.ca.CAPEM(), 0o644); err != nil {
		return "", i18n.Errorf("writing the CA certificate: %w", err)
	}
	return env.caPath, nil
}

// runProgram runs a program against the lesson's sandbox. The servers'
// side of its sessions goes to show (annotated, as the wiretap shows
// them), verdicts included.
func (env *environment) runProgram(ctx context.Context, language string, lines []string, show trace.Sink) (*programRun, error) {
	rt := runtimes[language]
	src, err := env.source(lines)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(env.scratchDir(), language+"-")
	if err != nil {
		return nil, i18n.Errorf("a folder for the program: %w", err)
	}
	defer os.RemoveAll(dir)
	argv, missing := rt.command()
	if missing != "" {
		return &programRun{missing: missing}, nil
	}
	if err := os.WriteFile(filepath.Join(dir, rt.file), []byte(src), 0o644); err != nil {
		return nil, i18n.Errorf("writing the program: %w", err)
	}
	run := &programRun{}
	var mu sync.Mutex
	sessions := newSessionWatch()
	watch := env.sb.Events.SubscribeQueued("the program's sessions", 4096, func(e trace.Event) {
		if !programsOwn(e) {
			return
		}
		sessions.saw(e)
		if e.Action == trace.Verdict {
			mu.Lock()
			run.verdicts = append(run.verdicts, e)
			mu.Unlock()
		}
		if show != nil && e.Action != trace.Closed {
			show(e)
		}
	}, sessions.poke)
	ctx, cancel := context.WithTimeout(ctx, programTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	run.err = cmd.Run()
	run.output = out.Bytes()
	sessions.settle(watch, 2*time.Second) // the servers' last events: the verdict at each close
	watch.Close(2 * time.Second)
	return run, nil
}

// programsOwn reports whether an event belongs to a program's sessions
// with the sandbox (smtp.sohu.com, pop3.sina.com), not to the sandbox's
// own relay between its providers.
func programsOwn(e trace.Event) bool {
	return e.Hop != trace.Relay && (e.Proto != trace.SMTP || e.Server() == "smtp.sohu.com")
}

// sessionWatch follows which of a program's sessions are open, so that
// a step can wait for the servers to have closed them all (and given
// their verdicts) rather than for a fixed while.
type sessionWatch struct {
	mu      sync.Mutex
	open    map[string]bool
	changed chan struct{}
}

func newSessionWatch() *sessionWatch {
	return &sessionWatch{open: map[string]bool{}, changed: make(chan struct{}, 1)}
}

// saw notes an event of a session.
func (w *sessionWatch) saw(e trace.Event) {
	if e.Session == "" {
		return
	}
	w.mu.Lock()
	if e.Action == trace.Closed {
		delete(w.open, e.Session)
	} else {
		w.open[e.Session] = true
	}
	w.mu.Unlock()
	w.poke()
}

// poke wakes settle to look again: the queue calls it when it has
// handed over everything it held, events of other sessions included.
func (w *sessionWatch) poke() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// settle waits until every session seen has closed and q has handed
// over everything it holds, or until limit.
func (w *sessionWatch) settle(q *trace.Queue, limit time.Duration) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		done := len(w.open) == 0 && q.Len() == 0
		w.mu.Unlock()
		if done {
			return
		}
		select {
		case <-w.changed:
		case <-deadline.C:
			return
		}
	}
}

// scratchDir is the folder programs are written in.
func (env *environment) scratchDir() string {
	env.caFile()
	return env.scratch
}

// showProgram prints a program's source, numbered, as the learner reads it.
func (env *environment) showProgram(language string, lines []string) {
	fmt.Fprintf(env.out, "%s\n", env.lang.Trf("%s program (%s):", runtimes[language].name, runtimes[language].file))
	for i, line := range lines {
		fmt.Fprintf(env.out, "  %3d │ %s\n", i+1, trace.Visible(line))
	}
}

// program runs a program block: its source, then the servers' side of
// its sessions, its own output and the verdicts. The program must run
// and its verdicts be clean; where its language is not installed, the
// source is shown and the step says why it did not run.
func (env *environment) program(ctx context.Context, s Step) error {
	env.showProgram(s.Language, s.Lines)
	run, err := env.runProgram(ctx, s.Language, s.Lines, env.serverSink())
	if err != nil {
		return err
	}
	return env.reportRun(run)
}

// reportRun says how a program's run went; an error when it failed or a
// verdict found a problem.
func (env *environment) reportRun(run *programRun) error {
	p := env.lang
	if run.missing != "" {
		fmt.Fprintf(env.out, "%s\n", p.Trf("(not run here: %s)", p.Tr(run.missing)))
		return nil
	}
	if text := strings.TrimSpace(string(run.output)); text != "" {
		fmt.Fprintf(env.out, "%s\n", p.Tr("what the program printed:"))
		for _, line := range strings.Split(text, "\n") {
			fmt.Fprintf(env.out, "  | %s\n", trace.Visible(line))
		}
	}
	switch {
	case run.err != nil:
		return i18n.Errorf("the program failed: %w", run.err)
	case len(run.verdicts) == 0:
		return i18n.Errorf("the program never talked to the sandbox")
	case run.problems() > 0:
		return i18n.Errorf("the servers found problems with the program (see the verdict above)")
	}
	return nil
}

// serverSink renders the servers' side of a program's sessions, each line
// annotated and labelled with its session.
func (env *environment) serverSink() trace.Sink {
	r, _ := trace.NewRenderer(env.out, "text", trace.RenderOptions{Wiretap: true, NoSteps: true, Width: env.width, Lang: env.lang})
	ann := trace.NewAnnotatorIn(env.lang)
	return func(e trace.Event) { ann.Annotate(&e); r.Render(e) }
}
