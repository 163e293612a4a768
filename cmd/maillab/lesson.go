package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"maillab/lessons"
)

// lessonOptions are the inputs of maillab lesson.
type lessonOptions struct {
	*globalOptions
	Dir    string
	Number int // 0: all (check)
}

func newCmdLesson(g *globalOptions, runF func(*lessonOptions) error) *cobra.Command {
	opts := &lessonOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "lesson N | list | check [N]",
		Short: "Step through lessons with live demos and exercises checked by the real servers",
		Long: `lesson plays a lesson: a few paragraphs, live demos against an embedded
sandbox, and exercises where you type the commands yourself. The servers'
real answers decide whether you passed; a wrong try earns a hint, and after
two the solution is offered. At a terminal, Enter moves on; otherwise the
answers are read from standard input.

  maillab lesson list          the lessons, with a mark on those you passed
  maillab lesson 3             lesson 3
  maillab lesson check         play every demo and answer every exercise with its
                               reference solution (for teachers writing lessons)

--dir DIR adds a teacher's own lesson files (see lessons/README.md).`,
		Example: `  maillab lesson list
  maillab lesson 1
  maillab lesson check --dir my-lessons/
  printf 'EHLO me\nAUTH LOGIN\nZ2FjbA==\nMTIzNDU2\n' | maillab lesson 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 1 {
				return fmt.Errorf("lesson %q: give a lesson number, list or check", args[0])
			}
			opts.Number = n
			if runF != nil {
				return runF(opts)
			}
			return lessonRun(cmd, opts)
		},
	}
	cmd.PersistentFlags().StringVar(&opts.Dir, "dir", "", "also read lesson files from DIR")
	cmd.AddCommand(newCmdLessonList(opts), newCmdLessonCheck(opts))
	return cmd
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
	cmd := &cobra.Command{
		Use:     "check [N]",
		Short:   "Play every demo and answer every exercise with its reference solution",
		Example: "  maillab lesson check\n  maillab lesson check 3\n  maillab lesson check --dir my-lessons/",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				n, err := strconv.Atoi(args[0])
				if err != nil {
					return fmt.Errorf("lesson check %q: give a lesson number", args[0])
				}
				opts.Number = n
			}
			return lessonCheck(cmd, opts)
		},
	}
	return cmd
}

func lessonList(opts *lessonOptions) error {
	all, err := lessons.Load(opts.Dir)
	if err != nil {
		return err
	}
	progress, err := lessons.LoadProgress()
	if err != nil {
		return err
	}
	for _, l := range all {
		mark := " "
		if progress.Done(l.Number) {
			mark = "✓"
		}
		fmt.Fprintf(opts.IO.Out, "%s %2d  %s\n", mark, l.Number, l.Title)
	}
	return nil
}

// find returns lesson n.
func find(all []*lessons.Lesson, n int) (*lessons.Lesson, error) {
	for _, l := range all {
		if l.Number == n {
			return l, nil
		}
	}
	return nil, fmt.Errorf("there is no lesson %d (maillab lesson list shows them)", n)
}

func lessonRun(cmd *cobra.Command, opts *lessonOptions) error {
	all, err := lessons.Load(opts.Dir)
	if err != nil {
		return err
	}
	l, err := find(all, opts.Number)
	if err != nil {
		return err
	}
	useColor, err := opts.useColor()
	if err != nil {
		return err
	}
	r := &lessons.Runner{In: opts.IO.In, Out: opts.IO.Out, ErrOut: opts.IO.ErrOut, Interactive: opts.IO.InIsTerminal(), Color: useColor, Width: opts.width()}
	passed, err := r.Run(cmd.Context(), l)
	if err != nil {
		return err
	}
	if !passed {
		fmt.Fprintf(opts.IO.ErrOut, "\nlesson %d: not passed (maillab lesson %d tries again)\n", l.Number, l.Number)
		return &exitError{code: 1}
	}
	fmt.Fprintf(opts.IO.ErrOut, "\nlesson %d passed\n", l.Number)
	progress, err := lessons.LoadProgress()
	if err != nil {
		return err
	}
	return progress.MarkPassed(l.Number)
}

func lessonCheck(cmd *cobra.Command, opts *lessonOptions) error {
	all, err := lessons.Load(opts.Dir)
	if err != nil {
		return err
	}
	if opts.Number != 0 {
		l, err := find(all, opts.Number)
		if err != nil {
			return err
		}
		all = []*lessons.Lesson{l}
	}
	out := io.Discard
	if opts.Verbose {
		out = opts.IO.Out
	}
	for _, l := range all {
		if err := lessons.Verify(cmd.Context(), l, out); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "ok  lesson %d: %s\n", l.Number, l.Title)
	}
	return nil
}
