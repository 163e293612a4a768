package practice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/chzyer/readline"

	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Options configure a practice prompt.
type Options struct {
	Proto       string  // "smtp" or "pop3"
	Domain      string  // the provider to talk to; default sohu.com for SMTP, sina.com for POP3
	PortOffset  int     // where the sandbox's ports are
	Addr        string  // any server HOST:PORT instead of the sandbox
	Server      string  // a class sandbox's host (its ports as its startup table, moved by PortOffset)
	Account     Account // the learner's account there: hints use it
	TLS         bool    // implicit TLS: the SMTPS or POP3S port (or --addr's port speaks TLS at once)
	CACert      string  // a CA file to trust besides the system's and the sandbox's (e.g. a class's ca.pem)
	ClassPage   string  // the class page (http://host:8025/), which serves the class sandbox's ca.pem
	In          io.Reader
	Out, ErrOut io.Writer
	Interactive bool // a person at a terminal: prompt, line editing, history
	Color       bool
	Width       int           // columns to wrap notes to; 0: no wrapping
	Lang        *i18n.Printer // the language of notes, hints and prompts; nil: English
}

// Run connects and runs the prompt until :quit, the end of input, or the
// server closing the connection.
func Run(ctx context.Context, opts Options) error {
	proto := strings.ToUpper(opts.Proto)
	t, err := findTarget(opts, proto)
	if err != nil {
		return err
	}
	if t.embedded != nil {
		defer t.embedded.Close()
	}
	tlsCfg, err := clientTLS(opts, t)
	if err != nil {
		return err
	}
	opts.Lang = i18n.Or(opts.Lang)
	r, _ := trace.NewRenderer(opts.Out, "text", trace.RenderOptions{Color: opts.Color, NoSteps: true, Width: opts.Width, Lang: opts.Lang})
	ann := trace.NewAnnotatorIn(opts.Lang)
	sink := func(e trace.Event) { ann.Annotate(&e); r.Render(e) }
	s, _, err := client.Dial(ctx, client.Config{Proto: proto, Addr: t.addr, Client: "you", ClientRole: trace.RoleSelf, Session: "practice", Sink: sink,
		TLS: tlsCfg, Implicit: opts.TLS})
	if err != nil {
		return i18n.Errorf("connect to %s: %w%s", t.addr, err, tlsAdvice(opts.Lang, err))
	}
	defer s.Close()
	p := &prompt{s: s, opts: opts}
	return p.loop(ctx)
}

// target is the server practice talks to.
type target struct {
	addr     string
	host     string           // the name its certificate must carry
	embedded *sandbox.Sandbox // a sandbox started for this session, or nil
}

// findTarget finds the server: --addr, or the sandbox's, or (when none
// answers) a sandbox started here.
func findTarget(opts Options, name string) (target, error) {
	if opts.Addr != "" {
		host, _, err := net.SplitHostPort(opts.Addr)
		if err != nil {
			return target{}, i18n.Errorf("--addr %s: want HOST:PORT", opts.Addr)
		}
		return target{addr: opts.Addr, host: host}, nil
	}
	host := "127.0.0.1"
	if opts.Server != "" {
		host = opts.Server
	}
	world := sandbox.DefaultWorld()
	domain := opts.Domain
	if domain == "" {
		domain = sandbox.DefaultDomain(proto.Name(strings.ToUpper(name)))
	}
	p, ok := world.Provider(domain)
	if !ok {
		return target{}, i18n.Errorf("--domain %s: not a sandbox provider (sohu.com or sina.com)", domain)
	}
	mode := sandbox.PlainText
	if opts.TLS {
		mode = sandbox.ImplicitTLS
	}
	svc, _ := p.Service(proto.Name(strings.ToUpper(name)), mode)
	t := target{addr: svc.DefaultAddr(host, opts.PortOffset), host: svc.Host}
	if reachable(t.addr) {
		return t, nil
	}
	if opts.Server != "" {
		return target{}, i18n.Errorf("no sandbox answers on %s (is the class sandbox running? its --port-offset?)", t.addr)
	}
	sb, err := startEmbedded(opts.PortOffset)
	if err != nil {
		return target{}, i18n.Errorf("no sandbox answered on %s, and starting one failed: %w", t.addr, err)
	}
	fmt.Fprintf(opts.ErrOut, "maillab: %s\n", i18n.Or(opts.Lang).Trf("no sandbox answered on %s, so one runs inside this practice session (it stops when you leave)", t.addr))
	t.embedded = sb
	return t, nil
}

// reachable reports whether something listens on addr.
func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return !errors.Is(err, syscall.ECONNREFUSED)
	}
	c.Close()
	return true
}

// prompt reads the learner's lines and runs them.
type prompt struct {
	s    *client.Session
	opts Options
}

func (p *prompt) loop(ctx context.Context) error {
	read, closeInput, err := p.input()
	if err != nil {
		return err
	}
	defer closeInput()
	for ctx.Err() == nil {
		line, err := read(ctx, p.promptText())
		switch {
		case errors.Is(err, readline.ErrInterrupt) && strings.TrimSpace(line) != "":
			continue // Ctrl-C with something typed clears the line
		case errors.Is(err, readline.ErrInterrupt):
			return ErrInterrupted // Ctrl-C at an empty prompt leaves at once
		case err != nil: // the end of input, Ctrl-D, or the context done
			return p.unfinished()
		}
		if quit := p.run(line); quit {
			return p.unfinished()
		}
	}
	return nil
}

// errUnfinished is leaving in the middle of a message's content.
var errUnfinished = i18n.NewError("the message was never finished: no line with only '.' was sent, so the server accepted nothing")

// unfinished says, when the learner leaves in the middle of a message's
// content, that nothing was sent.
func (p *prompt) unfinished() error {
	if p.s.State().InData {
		return errUnfinished
	}
	return nil
}

// promptText is e.g. "smtp.sohu.com [authenticated, sender given]> ".
func (p *prompt) promptText() string {
	lang := p.opts.Lang
	if p.s.State().InData {
		return p.s.Server + " [" + lang.Tr("message: end with a line holding only .") + "]> "
	}
	label := p.s.State().LabelIn(lang)
	if p.s.Secure {
		label = "TLS" + lang.Tr(", ") + label
	}
	return fmt.Sprintf("%s [%s]> ", p.s.Server, label)
}

// input returns a line reader: readline with history at a terminal,
// plain lines otherwise.
func (p *prompt) input() (func(ctx context.Context, prompt string) (string, error), func(), error) {
	if !p.opts.Interactive {
		lines := NewLines(p.opts.In)
		return func(ctx context.Context, _ string) (string, error) { return lines.Next(ctx) }, lines.Stop, nil
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          "> ",
		HistoryFile:     historyFile(string(p.s.Proto)),
		InterruptPrompt: "^C",
		EOFPrompt:       ":quit",
		Stdout:          p.opts.Out,
		Stderr:          p.opts.ErrOut,
	})
	if err != nil {
		return nil, nil, i18n.Errorf("starting the prompt: %w", err)
	}
	return func(_ context.Context, prompt string) (string, error) {
		rl.SetPrompt(prompt)
		return rl.Readline()
	}, func() { rl.Close() }, nil
}

// historyFile keeps typed lines under the user's config directory.
func historyFile(proto string) string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "maillab")
	if os.MkdirAll(dir, 0o700) != nil {
		return ""
	}
	return filepath.Join(dir, "history-"+strings.ToLower(proto))
}

// run runs one line: a :helper, or a line for the server. It reports
// whether to leave.
func (p *prompt) run(line string) bool {
	line, helper := Helper(line)
	if helper {
		return p.helper(line)
	}
	if p.s.Closed() {
		fmt.Fprintln(p.opts.ErrOut, p.opts.Lang.Tr("the connection is closed; :quit leaves"))
		return false
	}
	answer, err := p.s.Send(line)
	if errors.Is(err, client.ErrClosed) {
		fmt.Fprintf(p.opts.ErrOut, "maillab: %s\n", p.opts.Lang.Tr("the server closed the connection"))
		return !p.opts.Interactive
	}
	if err != nil {
		fmt.Fprintf(p.opts.ErrOut, "maillab: %s%s\n", i18n.TranslateError(p.opts.Lang, err), tlsAdvice(p.opts.Lang, err))
		return p.s.Closed() && !p.opts.Interactive
	}
	if client.IsError(answer) {
		h := p.hint()
		p.say(p.opts.Lang.Trf("hint: %s, e.g. %s", h.Text, h.Example))
	}
	return p.s.Closed() && !p.opts.Interactive
}

// say writes a line of maillab's own prose, indented, wrapped to the
// width.
func (p *prompt) say(text string) {
	fmt.Fprintf(p.opts.Out, "  %s\n", trace.Wrap(text, p.opts.Width, 2, 4))
}

// helper runs a ":" command, which is never sent. It reports whether to leave.
func (p *prompt) helper(line string) bool {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	out, lang := p.opts.Out, p.opts.Lang
	switch strings.ToLower(cmd) {
	case ":quit", ":q", ":exit":
		return true
	case ":help":
		fmt.Fprint(out, lang.Tr(helpText))
	case ":hint":
		h := p.hint()
		p.say(h.Text)
		fmt.Fprintf(out, "  %s\n", lang.Trf("e.g. %s", h.Example)) // an example to copy: never wrapped
	case ":state":
		p.say(p.s.State().DescribeIn(lang))
	case ":b64":
		fmt.Fprintf(out, "  %s\n", decode.EncodeBase64(arg))
	case ":unb64", ":decode":
		p.decode(arg)
	default:
		p.say(lang.Trf("unknown helper %s; :help lists them", cmd))
	}
	return false
}

func (p *prompt) decode(arg string) { trace.ShowDecoded(p.opts.Out, p.opts.Lang, arg, p.opts.Width) }

// Helper tells a maillab helper (":hint") from a line for the server, in
// every state, DATA included. A line for the server that must start with
// ':' is typed with two ("::"), and sent with one.
func Helper(line string) (string, bool) {
	if rest, ok := strings.CutPrefix(line, "::"); ok {
		return ":" + rest, false
	}
	return line, strings.HasPrefix(line, ":")
}

var helpText = i18n.N(`  Type commands for the server; each answer is shown and explained.
  Lines starting with ':' are for maillab and never sent, even inside a
  message (to send a line that starts with ':', type '::'):
    :hint          what you can type now, with an example
    :state         where the conversation is
    :b64 TEXT      the Base64 of TEXT (AUTH LOGIN wants user and password so)
    :unb64 BASE64  what some Base64 says
    :decode TEXT   decode an encoded-word, Base64 or quoted-printable
    :quit          leave (Ctrl-D too)
`)

// hint is what is valid now, in the learner's language and own
// account's terms (Text holds the translated sentence).
func (p *prompt) hint() Hint {
	h := HintNow(p.s.State())
	return Hint{Text: p.opts.Account.Localize(h.TextIn(p.opts.Lang)), Example: p.opts.Account.Localize(h.Example)}
}
