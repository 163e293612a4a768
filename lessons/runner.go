package lessons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/sandbox/play"
	"maillab/trace"
)

// Runner plays lessons for a learner.
type Runner struct {
	In          io.Reader
	Out, ErrOut io.Writer
	Interactive bool // a person at a terminal: wait for Enter between steps
	Color       bool
	Width       int    // columns to wrap notes to; 0: no wrapping
	Class       *Class // a class sandbox for the exercises; nil: the lesson's own

	ctx    context.Context
	lines  *practice.Lines
	lesson *Lesson
}

// errQuit is the learner leaving the lesson.
var errQuit = errors.New("left the lesson")

// Run plays a lesson: explanations, demos, and exercises the learner
// answers. It reports whether every exercise was passed.
func (r *Runner) Run(ctx context.Context, l *Lesson) (bool, error) {
	r.ctx, r.lines, r.lesson = ctx, practice.NewLines(r.In), l
	env, err := newEnvironment(r.Out, trace.RenderOptions{Color: r.Color, Width: r.Width})
	if err != nil {
		return false, err
	}
	if r.Class != nil {
		env.class, env.boxes = r.Class, classBoxes{r.Class}
	}
	defer env.close()
	fmt.Fprintf(r.Out, "\nLesson %d: %s\n%s\n", l.Number, l.Title, strings.Repeat("=", len([]rune(l.Title))+11))
	passed := true
	for i, step := range l.Steps {
		if ctx.Err() != nil {
			return false, ctx.Err() // Ctrl-C: stop at once
		}
		ok, err := r.step(ctx, env, step)
		if errors.Is(err, errQuit) || errors.Is(err, io.EOF) {
			return false, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err() // Ctrl-C: stop at once
		}
		if err != nil {
			return false, fmt.Errorf("%s:%d: %w", l.File, step.Line, err)
		}
		passed = passed && ok
		if i < len(l.Steps)-1 && step.Kind != Exercise {
			r.pause()
		}
	}
	return passed, nil
}

// enter returns a wait for Enter at a terminal, nil otherwise.
func (r *Runner) enter() func() error {
	if !r.Interactive {
		return nil
	}
	return func() error {
		_, err := r.lines.Next(r.ctx)
		return err
	}
}

// pause waits for Enter at a terminal.
func (r *Runner) pause() {
	if !r.Interactive {
		return
	}
	fmt.Fprint(r.ErrOut, "\n[Enter to go on] ")
	r.lines.Next(r.ctx)
}

func (r *Runner) step(ctx context.Context, env *environment, s Step) (bool, error) {
	switch s.Kind {
	case Explain:
		fmt.Fprintf(r.Out, "\n%s\n", s.Text)
	case Demo:
		fmt.Fprintf(r.Out, "\n--- demo: %s, live ---\n", strings.ToUpper(s.Proto))
		return true, env.demo(s)
	case Decode:
		env.decodeDemo(s)
	case Play:
		fmt.Fprintln(r.Out, "\n--- the six steps, live ---")
		return true, env.play(ctx, s, r.enter(), r.ErrOut)
	case Exercise:
		return r.exercise(env, s)
	}
	return true, nil
}

// environment is what a lesson runs in: an embedded sandbox and a
// renderer for its transcripts.
type environment struct {
	sb       *sandbox.Sandbox
	out      io.Writer
	renderer trace.Renderer
	sink     trace.Sink
	boxes    mailboxes // where delivered checks look
	class    *Class    // a class sandbox for the exercises, or nil
}

func newEnvironment(out io.Writer, opts trace.RenderOptions) (*environment, error) {
	sb, err := sandbox.Start(sandbox.Config{RandomPorts: true})
	if err != nil {
		return nil, err
	}
	rd, _ := trace.NewRenderer(out, "text", opts)
	opts.NoSteps = true
	plain, _ := trace.NewRenderer(out, "text", opts)
	ann := trace.NewAnnotator()
	env := &environment{sb: sb, out: out, renderer: rd, boxes: storeBoxes{sb}}
	env.sink = func(e trace.Event) { ann.Annotate(&e); plain.Render(e) }
	return env, nil
}

func (env *environment) close() { env.sb.Close() }

// addr is where a step's server listens.
func (env *environment) addr(proto, domain string) (string, error) {
	if domain == "" {
		domain = sandbox.DefaultDomain(proto)
	}
	addr, ok := env.sb.Addr(domain, strings.ToUpper(proto))
	if !ok {
		return "", fmt.Errorf("no provider %q in the sandbox", domain)
	}
	return addr, nil
}

// connectExercise opens the learner's session for an exercise: on the
// class sandbox in class, else on the lesson's own.
func (env *environment) connectExercise(s Step, sink trace.Sink) (*client.Session, error) {
	if env.class == nil {
		return env.connect(s, "you", sink)
	}
	addr, err := env.class.addr(s.Proto, s.Domain)
	if err != nil {
		return nil, err
	}
	sess, _, err := client.Dial(context.Background(), client.Config{Proto: s.Proto, Addr: addr, Client: "you", Sink: sink})
	if err != nil {
		return nil, fmt.Errorf("the class sandbox at %s: %w", addr, err)
	}
	return sess, nil
}

// connect opens a session on the lesson's own sandbox for a step,
// transcript to the renderer.
func (env *environment) connect(s Step, who string, sink trace.Sink) (*client.Session, error) {
	addr, err := env.addr(s.Proto, s.Domain)
	if err != nil {
		return nil, err
	}
	sess, _, err := client.Dial(context.Background(), client.Config{Proto: s.Proto, Addr: addr, Client: who, Sink: sink})
	return sess, err
}

// demo runs a demo's commands against the sandbox.
func (env *environment) demo(s Step) error {
	sess, err := env.connect(s, "demo client", env.sink)
	if err != nil {
		return err
	}
	defer sess.Close()
	for _, line := range s.Lines {
		if sess.Closed() {
			break
		}
		if _, err := sess.Send(line); err != nil && !errors.Is(err, client.ErrClosed) {
			return err
		}
	}
	return nil
}

// decodeDemo decodes each payload and shows the layers.
func (env *environment) decodeDemo(s Step) {
	for _, payload := range s.Lines {
		fmt.Fprintf(env.out, "\n--- decoding %s (as maillab decode does) ---\n", trace.Visible(payload))
		trace.ShowDecoded(env.out, payload)
	}
}

// play runs the six steps, waiting for Enter before each when enter is set.
func (env *environment) play(ctx context.Context, s Step, enter func() error, prompt io.Writer) error {
	pacing := trace.Pacing{Context: ctx, Enter: enter, Prompt: prompt}
	sink := trace.Paced(env.renderer, pacing)
	res, err := play.Run(ctx, play.Options{
		From: s.Params["from"], To: s.Params["to"], Subject: s.Params["subject"], Body: s.Params["body"], Sink: sink,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.out, "\n%s, %s, %s\n", trace.Count(res.Hops, "hop"), trace.Count(res.Octets, "octet"), res.Elapsed.Round(time.Millisecond))
	return nil
}
