package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"maillab/lessons/practice"
	"maillab/trace"
	"maillab/trace/i18n"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// globalOptions are the flags every command shares.
type globalOptions struct {
	IO      *IOStreams
	Color   string // auto, always or never
	Width   int    // columns; 0: the terminal's, or 80
	Verbose bool   // more detail (the wiretap names client addresses)

	// P writes maillab's own words in the language chosen (--lang, else
	// the environment); Lang says what chose it.
	P    *i18n.Printer
	Lang i18n.Choice
}

// note tells the user something on standard error, as maillab, wrapped
// to the width.
func (g *globalOptions) note(text string) {
	fmt.Fprintf(g.IO.ErrOut, "maillab: %s\n", trace.Wrap(text, g.width(), len("maillab: "), 2))
}

// width is the number of columns to lay output out in.
func (g *globalOptions) width() int { return g.IO.Width(g.Width) }

// useColor resolves --color against the terminal and environment.
func (g *globalOptions) useColor() (bool, error) { return g.IO.Color(g.Color) }

// Main runs maillab and returns the exit status.
//
// One rule for Ctrl-C everywhere: it stops at once. The command's context
// ends, every embedded sandbox is closed cleanly, and maillab exits with
// status 130 (SIGTERM: 0 when the command stopped cleanly). A second
// Ctrl-C leaves without waiting for anything.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	var got atomic.Value
	go func() {
		got.Store(<-signals)
		cancel()
		<-signals
		os.Exit(130)
	}()
	streams := System()
	root := newRootCmd(streams, os.Args[1:])
	err := root.ExecuteContext(ctx)
	return exitStatus(streams, err, got.Load(), printerOf(streams, os.Args[1:]))
}

// exitStatus reports err (unless the command has said it already) and
// turns it, and the signal that stopped the command if any, into a status.
func exitStatus(streams *IOStreams, err error, sig any, p *i18n.Printer) int {
	if sig == os.Interrupt || errors.Is(err, practice.ErrInterrupted) {
		return 130
	}
	if sig != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return 0
	}
	if err == nil {
		return 0
	}
	var quiet *exitError
	if errors.As(err, &quiet) {
		return quiet.code
	}
	fmt.Fprintf(streams.ErrOut, "maillab: %s\n", p.Trf("error: %s", visibleLines(i18n.TranslateError(p, err))))
	return 1
}

// visibleLines escapes what a terminal would act on in each line of a
// message, keeping its line breaks (cobra's suggestions take lines).
func visibleLines(msg string) string {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	for i, l := range lines {
		lines[i] = trace.Visible(l)
	}
	return strings.Join(lines, "\n")
}

// printerOf is the language args and the streams' environment choose,
// for what is said after the command tree is gone (English when they
// choose none maillab speaks).
func printerOf(streams *IOStreams, args []string) *i18n.Printer {
	choice, err := i18n.Choose(langFlag(args), streams.Env)
	if err != nil {
		return i18n.EnglishPrinter
	}
	return choice.Printer
}

// langFlag finds --lang's value in args before cobra parses them: the
// command tree's help texts are written in that language.
func langFlag(args []string) string {
	for i, a := range args {
		switch {
		case a == "--":
			return ""
		case strings.HasPrefix(a, "--lang="):
			return strings.TrimPrefix(a, "--lang=")
		case a == "--lang" && i+1 < len(args):
			return args[i+1]
		}
	}
	return ""
}

// exitError ends the program with a status and nothing more to say (the
// command has already said it).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// newRootCmd builds the command tree for args, its help texts in the
// language args or the environment choose.
func newRootCmd(streams *IOStreams, args []string) *cobra.Command {
	choice, langErr := i18n.Choose(langFlag(args), streams.Env)
	if langErr != nil {
		choice = i18n.Choice{Printer: i18n.EnglishPrinter, From: "default"}
	}
	g := &globalOptions{IO: streams, P: choice.Printer, Lang: choice}
	root := &cobra.Command{
		Use:   "maillab",
		Short: "Learn how e-mail really travels, by watching and typing SMTP and POP3",
		Long: `maillab runs a small world of two mail providers, sohu.com and sina.com, on
your own machine (loopback only), and shows every line they exchange.

  play       watch one message travel in six steps, every line explained
  sandbox    run the providers so you can talk to them with telnet, nc or a mail client
  practice   type SMTP or POP3 commands yourself, every answer explained
  lesson     step through lessons with live demos and checked exercises
  decode     read Base64, encoded-words and MIME messages you captured
  encode     make the Base64 that AUTH LOGIN and AUTH PLAIN expect
  check      grade an SMTP or POP3 server you wrote, case by case`,
		Example: `  maillab play
  maillab play --to aaa@sohu.com --subject "邮件测试" --format markdown > handout.md
  maillab sandbox
  maillab decode '=?GBK?B?08q8/rLiytQ=?='`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return langErr // a --lang or MAILLAB_LANG maillab does not speak
		},
	}
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.PersistentFlags().StringVar(&g.Color, "color", "auto", "colour output: auto (off for NO_COLOR or when not a terminal), always or never")
	root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]cobra.Completion{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentFlags().IntVar(&g.Width, "width", 0, "wrap notes to N columns (default: the terminal's width, or 80)")
	root.PersistentFlags().BoolVarP(&g.Verbose, "verbose", "v", false, "more detail: the wiretap names each client's address and port")
	root.PersistentFlags().String("lang", "", "the language of maillab's words: en or zh (default: MAILLAB_LANG, LC_ALL, LC_MESSAGES, LANG)")
	root.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(i18n.Codes(), cobra.ShellCompDirectiveNoFileComp))
	root.AddCommand(
		newCmdPlay(g, nil),
		newCmdSandbox(g, nil),
		newCmdDecode(g, nil),
		newCmdEncode(g, nil),
		newCmdPractice(g, nil),
		newCmdLesson(g, nil),
		newCmdCheck(g, nil),
	)
	root.SetVersionTemplate(versionLine(g))
	localize(root, g.P)
	layoutHelp(root, g)
	return root
}

// versionLine is --version's answer: the version and the language chosen.
func versionLine(g *globalOptions) string {
	from := g.Lang.From
	if g.Lang.Value != "" && from != "--lang" {
		from += "=" + g.Lang.Value
	}
	return g.P.Trf("maillab version %s (language: %s, from %s)", version, g.P.Code(), from) + "\n"
}
