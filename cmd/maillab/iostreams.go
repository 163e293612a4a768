package main

import (
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"golang.org/x/term"

	"maillab/trace"
	"maillab/trace/i18n"
)

// UI rules (after age and gh): data and transcripts go to Out; status,
// warnings and errors go to ErrOut; messages are lower case without a
// final period, and an error that the learner can fix comes with a hint.

// IOStreams holds the program's input and output and what they are
// attached to.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Getenv reads the environment (the language's variables); nil reads
	// nothing, as in tests.
	Getenv func(string) string

	inTTY    bool
	outTTY   bool
	colorEnv bool // colour allowed by the environment (NO_COLOR, TERM, a TTY)
}

// System returns the process's own streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Getenv: os.Getenv,
		inTTY:    isatty.IsTerminal(os.Stdin.Fd()),
		outTTY:   isatty.IsTerminal(os.Stdout.Fd()),
		colorEnv: !color.NoColor || os.Getenv("CLICOLOR_FORCE") != "" && os.Getenv("CLICOLOR_FORCE") != "0",
	}
}

// Env reads an environment variable ("" when the streams have none).
func (s *IOStreams) Env(name string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(name)
}

// InIsTerminal reports whether input comes from a person at a terminal.
func (s *IOStreams) InIsTerminal() bool { return s.inTTY }

// OutIsTerminal reports whether output goes to a terminal.
func (s *IOStreams) OutIsTerminal() bool { return s.outTTY }

// Width is how many columns output may take: --width when given, else the
// terminal's width, else trace.DefaultWidth (80).
func (s *IOStreams) Width(flag int) int {
	if flag > 0 {
		return flag
	}
	if f, ok := s.Out.(*os.File); ok && s.outTTY {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return trace.DefaultWidth
}

// Color decides whether to colour output for a --color mode.
func (s *IOStreams) Color(mode string) (bool, error) {
	switch mode {
	case "auto", "":
		return s.colorEnv, nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, i18n.Errorf("--color %q: choose auto, always or never", mode)
}
