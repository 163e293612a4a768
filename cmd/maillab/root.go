package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"maillab/lessons/practice"
	"maillab/trace"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// globalOptions are the flags every command shares.
type globalOptions struct {
	IO      *IOStreams
	Color   string // auto, always or never
	Width   int    // columns; 0: the terminal's, or 80
	Verbose bool   // more detail (the wiretap names client addresses)
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
	err := newRootCmd(streams).ExecuteContext(ctx)
	return exitStatus(streams, err, got.Load())
}

// exitStatus reports err (unless the command has said it already) and
// turns it, and the signal that stopped the command if any, into a status.
func exitStatus(streams *IOStreams, err error, sig any) int {
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
	fmt.Fprintf(streams.ErrOut, "maillab: error: %v\n", trace.Visible(err.Error()))
	return 1
}

// exitError ends the program with a status and nothing more to say (the
// command has already said it).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCmd(streams *IOStreams) *cobra.Command {
	g := &globalOptions{IO: streams}
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
  encode     make the Base64 that AUTH LOGIN and AUTH PLAIN expect`,
		Example: `  maillab play
  maillab play --to aaa@sohu.com --subject "邮件测试" --format markdown > handout.md
  maillab sandbox
  maillab decode '=?GBK?B?08q8/rLiytQ=?='`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.PersistentFlags().StringVar(&g.Color, "color", "auto", "colour output: auto (off for NO_COLOR or when not a terminal), always or never")
	root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]cobra.Completion{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	root.PersistentFlags().IntVar(&g.Width, "width", 0, "wrap notes to N columns (default: the terminal's width, or 80)")
	root.PersistentFlags().BoolVarP(&g.Verbose, "verbose", "v", false, "more detail: the wiretap names each client's address and port")
	root.AddCommand(
		newCmdPlay(g, nil),
		newCmdSandbox(g, nil),
		newCmdDecode(g, nil),
		newCmdEncode(g, nil),
		newCmdPractice(g, nil),
		newCmdLesson(g, nil),
	)
	return root
}
