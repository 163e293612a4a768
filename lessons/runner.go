package lessons

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/client"
	"maillab/sandbox/play"
	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Runner plays lessons for a learner.
type Runner struct {
	In          io.Reader
	Out, ErrOut io.Writer
	Interactive bool // a person at a terminal: wait for Enter between steps
	Color       bool
	Width       int           // columns to wrap notes to; 0: no wrapping
	Class       *Class        // a class sandbox for the exercises; nil: the lesson's own
	Lang        *i18n.Printer // the language of maillab's words; nil: English

	ctx    context.Context
	lines  *practice.Lines
	lesson *Lesson
}

// errQuit is the learner leaving the lesson.
var errQuit = i18n.NewError("left the lesson")

// Run plays a lesson: explanations, demos, and exercises the learner
// answers. It reports whether every exercise was passed.
func (r *Runner) Run(ctx context.Context, l *Lesson) (bool, error) {
	r.ctx, r.lines, r.lesson = ctx, practice.NewLines(r.In), l
	defer r.lines.Stop()
	r.Lang = i18n.Or(r.Lang)
	env, err := newEnvironment(r.Out, trace.RenderOptions{Color: r.Color, Width: r.Width, Lang: r.Lang})
	if err != nil {
		return false, err
	}
	if r.Class != nil {
		if err := env.joinClass(r.Class, r.ErrOut); err != nil {
			env.close()
			return false, err
		}
	}
	defer env.close()
	heading := r.Lang.Trf("Lesson %s: %s", strconv.Itoa(l.Number), l.Title)
	fmt.Fprintf(r.Out, "\n%s\n%s\n", heading, strings.Repeat("=", trace.DisplayWidth(heading)))
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
			return false, i18n.Errorf("%s:%d: %w", l.File, step.Line, err)
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
	fmt.Fprintf(r.ErrOut, "\n[%s] ", r.Lang.Tr("Enter to go on"))
	r.lines.Next(r.ctx)
}

func (r *Runner) step(ctx context.Context, env *environment, s Step) (bool, error) {
	switch s.Kind {
	case Explain:
		fmt.Fprintf(r.Out, "\n%s\n", trace.WrapParagraphs(s.Text, r.Width))
	case Demo:
		fmt.Fprintf(r.Out, "\n--- %s ---\n", r.Lang.Trf("demo: %s, live", s.Service()))
		return true, env.demo(s)
	case Decode:
		env.decodeDemo(s)
	case Play:
		fmt.Fprintf(r.Out, "\n--- %s ---\n", r.Lang.Tr("the six steps, live"))
		return true, env.play(ctx, s, r.enter(), r.ErrOut)
	case Program:
		fmt.Fprintf(r.Out, "\n--- %s ---\n", r.Lang.Trf("a program in %s, run against the sandbox", runtimes[s.Language].name))
		return true, env.program(ctx, s)
	case Grade:
		fmt.Fprintf(r.Out, "\n--- %s ---\n", r.Lang.Trf("maillab check %s, against the sandbox's own server", s.Proto))
		return true, env.gradeDemo(ctx, s)
	case Exercise:
		switch s.Learner {
		case "program":
			r.exerciseHeading(s)
			return r.programExercise(env, s)
		case "server":
			r.exerciseHeading(s)
			return r.serverExercise(env, s)
		}
		return r.exercise(env, s)
	}
	return true, nil
}

// exerciseHeading introduces the learner's turn with its goal.
func (r *Runner) exerciseHeading(s Step) {
	fmt.Fprintf(r.Out, "\n--- %s ---\n%s\n", r.Lang.Tr("your turn"), trace.Wrap(s.Ex.Goal, r.Width, 0, 0))
}

// environment is what a lesson runs in: an embedded sandbox with TLS (and
// a second one that takes logins only inside TLS, started when a demo
// asks for it) and a renderer for its transcripts.
type environment struct {
	sb        *sandbox.Sandbox
	strict    *sandbox.Sandbox // require-tls demos; nil until one runs
	ca        *certs.Authority
	lang      *i18n.Printer
	trust     *x509.CertPool // what the lesson's clients trust
	out       io.Writer
	width     int // columns prose wraps to (0: none)
	renderer  trace.Renderer
	sink      trace.Sink
	discarded chan trace.Event // plaintext the servers threw away at STARTTLS
	boxes     mailboxes        // where delivered checks look
	class     *Class           // a class sandbox for the exercises, or nil
	scratch   string           // a folder for programs and the CA file they read; "" until one runs
	caPath    string
}

func newEnvironment(out io.Writer, opts trace.RenderOptions) (*environment, error) {
	ca, err := certs.Open("")
	if err != nil {
		return nil, err
	}
	rd, _ := trace.NewRenderer(out, "text", opts)
	opts.NoSteps = true
	plain, _ := trace.NewRenderer(out, "text", opts)
	ann := trace.NewAnnotatorIn(opts.Lang)
	env := &environment{ca: ca, lang: i18n.Or(opts.Lang), trust: ca.Pool(), out: out, width: opts.Width, renderer: rd, discarded: make(chan trace.Event, 16)}
	env.sink = func(e trace.Event) { ann.Annotate(&e); plain.Render(e) }
	if env.sb, err = env.startSandbox(false); err != nil {
		return nil, err
	}
	env.boxes = storeBoxes{env.sb}
	return env, nil
}

// startSandbox starts a sandbox of the lesson's own, its servers' reports
// of discarded plaintext kept for the demo that caused them.
func (env *environment) startSandbox(requireTLS bool) (*sandbox.Sandbox, error) {
	sb, err := sandbox.Start(sandbox.Config{RandomPorts: true, Certs: env.ca, RequireTLS: requireTLS, TapServers: true})
	if err != nil {
		return nil, err
	}
	sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Discarded {
			select {
			case env.discarded <- e:
			default:
			}
		}
	})
	return sb, nil
}

func (env *environment) close() {
	if env.scratch != "" {
		os.RemoveAll(env.scratch)
	}
	env.sb.Close()
	if env.strict != nil {
		env.strict.Close()
	}
}

// sandboxFor is the sandbox a step runs on.
func (env *environment) sandboxFor(s Step) (*sandbox.Sandbox, error) {
	if !s.RequireTLS {
		return env.sb, nil
	}
	if env.strict == nil {
		sb, err := env.startSandbox(true)
		if err != nil {
			return nil, err
		}
		env.strict = sb
	}
	return env.strict, nil
}

// target is where a step's server listens, and the name its certificate
// carries.
func (env *environment) target(s Step) (addr, host string, err error) {
	sb, err := env.sandboxFor(s)
	if err != nil {
		return "", "", err
	}
	domain := s.Domain
	if domain == "" {
		domain = sandbox.DefaultDomain(proto.Name(strings.ToUpper(s.Proto)))
	}
	mode := sandbox.PlainText
	if s.Implicit {
		mode = sandbox.ImplicitTLS
	}
	name := proto.Name(strings.ToUpper(s.Proto))
	addr, ok := sb.AddrTLS(domain, name, mode)
	p, known := sb.World().Provider(domain)
	if !ok || !known {
		return "", "", i18n.Errorf("no provider %q in the sandbox", domain)
	}
	svc, _ := p.Service(name, mode)
	return addr, svc.Host, nil
}

// dial opens a session as a mail program would: TLS checked against the
// CAs the lesson trusts.
func (env *environment) dial(s Step, addr, host, who string, sink trace.Sink) (*client.Session, error) {
	cfg := client.Config{Proto: s.Proto, Addr: addr, Client: who, ClientRole: trace.RoleSelf, Sink: sink, Implicit: s.Implicit,
		TLS: &client.TLS{Config: &tls.Config{ServerName: host, RootCAs: env.trust, MinVersion: tls.VersionTLS12}}}
	sess, _, err := client.Dial(context.Background(), cfg)
	return sess, err
}

// connectExercise opens the learner's session for an exercise: on the
// class sandbox in class, else on the lesson's own.
func (env *environment) connectExercise(s Step, sink trace.Sink) (*client.Session, error) {
	if env.class == nil {
		return env.connect(s, "you", sink)
	}
	addr, host, err := env.class.target(s)
	if err != nil {
		return nil, err
	}
	sess, err := env.dial(s, addr, host, "you", sink)
	if err != nil {
		return nil, i18n.Errorf("the class sandbox at %s: %w", addr, err)
	}
	return sess, nil
}

// connect opens a session on the lesson's own sandbox for a step,
// transcript to the renderer.
func (env *environment) connect(s Step, who string, sink trace.Sink) (*client.Session, error) {
	addr, host, err := env.target(s)
	if err != nil {
		return nil, err
	}
	return env.dial(s, addr, host, who, sink)
}

// demo runs a demo's commands against the sandbox. A line holding
// literal \r\n sends its commands in one segment, as pipelining (or an
// attacker injecting after STARTTLS) does.
func (env *environment) demo(s Step) error {
	sess, err := env.connect(s, "demo client", env.sink)
	if err != nil {
		return err
	}
	defer sess.Quit()
	for _, line := range s.Lines {
		if sess.Closed() {
			break
		}
		if strings.Contains(line, `\r\n`) {
			_, _, err = sess.Pipeline(strings.Split(line, `\r\n`))
		} else {
			_, err = sess.Send(line)
		}
		env.showDiscarded()
		if err != nil && !errors.Is(err, client.ErrClosed) {
			return err
		}
	}
	if s.ForClass && env.class != nil {
		return env.classCopy(s)
	}
	return nil
}

// classCopy runs a class demo (in class) again on the class sandbox,
// for the learner's account in place of the demo ones, without a
// transcript (the one above showed it): the mail it leaves is for the
// exercise that follows, which the learner does there.
func (env *environment) classCopy(s Step) error {
	addr, host, err := env.class.target(s)
	if err != nil {
		return err
	}
	sess, err := env.dial(s, addr, host, "demo client", nil)
	if err != nil {
		return i18n.Errorf("the class sandbox at %s: %w", addr, err)
	}
	defer sess.Quit()
	accepted := 0
	for _, line := range localizeAll(env.class.Account, s.Lines) {
		answer, err := sess.Send(line)
		if err != nil {
			return i18n.Errorf("the class sandbox at %s: %w", addr, err)
		}
		if line == "." && !client.IsError(answer) {
			accepted++
		}
	}
	if accepted > 0 {
		fmt.Fprintf(env.out, "(%s)\n", env.lang.Trf("the class sandbox took the same message for your own mailbox (%s), for the exercise", env.class.Account.User))
	}
	return nil
}

// showDiscarded shows what the servers threw away at a STARTTLS or STLS
// (the server reports it before its half of the handshake, so it is here
// once the client's handshake is done).
func (env *environment) showDiscarded() {
	for {
		select {
		case e := <-env.discarded:
			env.sink(e)
		default:
			return
		}
	}
}

// decodeDemo decodes each payload and shows the layers.
func (env *environment) decodeDemo(s Step) {
	for _, payload := range s.Lines {
		fmt.Fprintf(env.out, "\n--- %s ---\n", trace.Wrap(env.lang.Trf("decoding %s (as maillab decode does)", trace.Visible(payload)), max(env.width-4, 0), 4, 4))
		trace.ShowDecoded(env.out, env.lang, payload, env.width)
	}
}

// play runs the six steps, waiting for Enter before each when enter is set.
func (env *environment) play(ctx context.Context, s Step, enter func() error, prompt io.Writer) error {
	pacing := trace.Pacing{Context: ctx, Enter: enter, Prompt: prompt, Lang: env.lang}
	sink := trace.Paced(env.renderer, pacing)
	res, err := play.Run(ctx, play.Options{
		From: s.Params["from"], To: s.Params["to"], Subject: s.Params["subject"], Body: s.Params["body"], Sink: sink,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.out, "\n%s%s%s%s%s\n", env.lang.Count(res.Hops, "hop"), env.lang.Tr(", "), env.lang.Count(res.Octets, "octet"), env.lang.Tr(", "), res.Elapsed.Round(time.Millisecond))
	return nil
}
