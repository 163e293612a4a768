package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"maillab/lessons"
	"maillab/lessons/practice"
	"maillab/trace/i18n"
)

// lessonOptions are the inputs of maillab lesson.
type lessonOptions struct {
	*globalOptions
	Dir      string
	Progress string // the progress file; "": MAILLAB_PROGRESS, else the user's config dir
	Number   int    // 0: all (check)

	Server     string // a class sandbox's host
	PortOffset int
	User       string
	Password   string
}

func newCmdLesson(g *globalOptions, runF func(*lessonOptions) error) *cobra.Command {
	opts := &lessonOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "lesson [N | list | check [N] | reset]",
		Short: "Step through lessons with live demos and exercises checked by the real servers",
		Long: `lesson plays a lesson: a few paragraphs, live demos against an embedded
sandbox, and exercises where you type the commands yourself. The servers'
real answers decide whether you passed; a wrong try earns a hint, and after
two the solution is offered. At a terminal, Enter moves on; otherwise the
answers are read from standard input. Ctrl-C leaves at once.

With no argument it lists the lessons, with a mark on those you passed;
maillab lesson 3 plays lesson 3; maillab lesson check plays every demo and
answers every exercise with its reference solution (for teachers writing
lessons); maillab lesson reset forgets which lessons were passed.

Progress is kept in the user's config directory (maillab lesson list says
where). People sharing one login keep theirs apart with --progress FILE or
MAILLAB_PROGRESS=FILE. --dir DIR adds a teacher's own lesson files (see
lessons/README.md).`,
		Example: `  maillab lesson
  maillab lesson 1
  maillab lesson check --dir my-lessons/
  MAILLAB_PROGRESS=~/li-lei.json maillab lesson 2
  maillab lesson 4 --server 192.168.1.10 --user s07 --password 404242
  printf 'EHLO me\nAUTH LOGIN\nZ2FjbA==\nMTIzNDU2\n' | maillab lesson 3`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: lessonNumbers(opts),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return lessonList(opts) // with no argument: the choices
			}
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 {
				return i18n.Errorf("lesson %q: give a lesson number, list, check or reset (maillab lesson lists them)", args[0])
			}
			opts.Number = n
			if runF != nil {
				return runF(opts)
			}
			return lessonRun(cmd, opts)
		},
	}
	cmd.PersistentFlags().StringVar(&opts.Dir, "dir", "", "also read lesson files from DIR")
	cmd.Flags().StringVar(&opts.Server, "server", "", "do the exercises on the class sandbox at HOST (the teacher's machine), as --user")
	cmd.Flags().IntVar(&opts.PortOffset, "port-offset", 0, "the class sandbox's --port-offset")
	cmd.Flags().StringVar(&opts.User, "user", "", "your account in the class, e.g. s07")
	cmd.Flags().StringVar(&opts.Password, "password", "", "its password")
	cmd.PersistentFlags().StringVar(&opts.Progress, "progress", "", "keep progress in FILE (default: $MAILLAB_PROGRESS, else the user's config directory)")
	cmd.AddCommand(newCmdLessonList(opts), newCmdLessonCheck(opts), newCmdLessonReset(opts))
	return cmd
}

// lessonNumbers completes a lesson number, with the lessons' titles.
func lessonNumbers(opts *lessonOptions) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		all, _ := lessons.LoadIn(opts.Dir, opts.P.Code())
		var out []cobra.Completion
		for _, l := range all {
			out = append(out, cobra.CompletionWithDesc(strconv.Itoa(l.Number), l.Title))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func newCmdLessonList(opts *lessonOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the lessons, marking those passed",
		Example: "  maillab lesson list\n  maillab lesson list --dir my-lessons/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return lessonList(opts)
		},
	}
}

func newCmdLessonCheck(opts *lessonOptions) *cobra.Command {
	return &cobra.Command{
		Use:               "check [N]",
		Short:             "Play every demo and answer every exercise with its reference solution",
		Example:           "  maillab lesson check\n  maillab lesson check 3\n  maillab lesson check --dir my-lessons/ --verbose",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: lessonNumbers(opts),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				n, err := strconv.Atoi(args[0])
				if err != nil {
					return i18n.Errorf("lesson check %q: give a lesson number", args[0])
				}
				opts.Number = n
			}
			return lessonCheck(cmd, opts)
		},
	}
}

func newCmdLessonReset(opts *lessonOptions) *cobra.Command {
	return &cobra.Command{
		Use:     "reset",
		Short:   "Forget which lessons were passed",
		Example: "  maillab lesson reset\n  maillab lesson reset --progress ~/li-lei.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			progress, err := lessons.LoadProgress(opts.Progress)
			if err != nil {
				return err
			}
			if err := progress.Reset(); err != nil {
				return err
			}
			opts.note(opts.P.Trf("progress cleared (%s)", progress.Path()))
			return nil
		},
	}
}

func lessonList(opts *lessonOptions) error {
	all, err := lessons.LoadIn(opts.Dir, opts.P.Code())
	if err != nil {
		return err
	}
	progress, err := lessons.LoadProgress(opts.Progress)
	if err != nil {
		return err
	}
	next := 0
	for _, l := range all {
		mark := " "
		if progress.Done(l.Number) {
			mark = "✓"
		} else if next == 0 {
			next = l.Number
		}
		fmt.Fprintf(opts.IO.Out, "%s %2d  %s\n", mark, l.Number, l.Title)
	}
	if next == 0 && len(all) > 0 {
		next = all[0].Number
	}
	fmt.Fprintf(opts.IO.Out, "\n%s\n", opts.P.Trf("start with: %s", "maillab lesson "+strconv.Itoa(next)))
	opts.note(opts.P.Trf("progress is kept in %s (maillab lesson reset clears it)", progress.Path()))
	return nil
}

// find returns lesson n, and the one after it (nil after the last).
func find(all []*lessons.Lesson, n int) (*lessons.Lesson, *lessons.Lesson, error) {
	for i, l := range all {
		if l.Number == n {
			if i+1 < len(all) {
				return l, all[i+1], nil
			}
			return l, nil, nil
		}
	}
	return nil, nil, i18n.Errorf("there is no lesson %d (maillab lesson lists them)", n)
}

func lessonRun(cmd *cobra.Command, opts *lessonOptions) error {
	all, err := lessons.LoadIn(opts.Dir, opts.P.Code())
	if err != nil {
		return err
	}
	l, next, err := find(all, opts.Number)
	if err != nil {
		return err
	}
	useColor, err := opts.useColor()
	if err != nil {
		return err
	}
	class, err := opts.class()
	if err != nil {
		return err
	}
	r := &lessons.Runner{In: opts.IO.In, Out: opts.IO.Out, ErrOut: opts.IO.ErrOut, Interactive: opts.IO.InIsTerminal(), Color: useColor, Width: opts.width(), Class: class, Lang: opts.P}
	passed, err := r.Run(cmd.Context(), l)
	if err != nil {
		return err
	}
	if !passed {
		fmt.Fprintf(opts.IO.ErrOut, "\n%s\n", opts.P.Trf("lesson %s: not passed (%s tries again)", strconv.Itoa(l.Number), "maillab lesson "+strconv.Itoa(l.Number)))
		return &exitError{code: 1}
	}
	fmt.Fprintf(opts.IO.ErrOut, "\n%s\n", opts.P.Trf("lesson %s passed", strconv.Itoa(l.Number)))
	if next != nil {
		fmt.Fprintln(opts.IO.ErrOut, opts.P.Trf("next: %s (%s)", "maillab lesson "+strconv.Itoa(next.Number), next.Title))
	}
	progress, err := lessons.LoadProgress(opts.Progress)
	if err != nil {
		return err
	}
	return progress.MarkPassed(l.Number)
}

// class is the class sandbox of --server, or nil.
func (opts *lessonOptions) class() (*lessons.Class, error) {
	if opts.Server == "" {
		if opts.User != "" {
			return nil, i18n.Errorf("--user goes with --server (the class sandbox's host)")
		}
		return nil, nil
	}
	if opts.User == "" || opts.Password == "" {
		return nil, i18n.Errorf("--server needs --user and --password: your account in the class")
	}
	page := classPage(opts.Server, opts.PortOffset)
	return &lessons.Class{Server: opts.Server, PortOffset: opts.PortOffset, Page: page,
		Account: practice.Account{User: opts.User, Password: opts.Password}}, nil
}

// lessonCheck verifies lessons, in every language, and reports every
// problem, not the first.
func lessonCheck(cmd *cobra.Command, opts *lessonOptions) error {
	out := io.Discard
	if opts.Verbose {
		out = opts.IO.Out
	}
	var problems []error
	reported := map[string]bool{} // a broken file of --dir is loaded for each language
	checked := map[string]bool{}  // a teacher's language-neutral file is checked once
	for _, lang := range lessons.Languages {
		all, loadErr := lessons.LoadIn(opts.Dir, lang) // broken files are reported with the rest
		if loadErr != nil && !reported[loadErr.Error()] {
			reported[loadErr.Error()] = true
			problems = append(problems, loadErr)
		}
		if opts.Number != 0 {
			l, _, err := find(all, opts.Number)
			if err != nil {
				return err
			}
			all = []*lessons.Lesson{l}
		}
		for _, l := range all {
			if checked[l.File] {
				continue
			}
			checked[l.File] = true
			name := opts.P.Trf("lesson %s: %s", strconv.Itoa(l.Number), l.Title) + " [" + lang + "]"
			if err := lessons.Verify(cmd.Context(), l, out); err != nil {
				problems = append(problems, err)
				fmt.Fprintf(opts.IO.Out, "FAIL %s\n", name)
				continue
			}
			fmt.Fprintf(opts.IO.Out, "ok   %s\n", name)
		}
	}
	return errors.Join(problems...)
}
