package lessons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"maillab/sandbox/client"
	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// Verify plays every demo of a lesson and answers every exercise with its
// reference solution against a live embedded sandbox. It returns an error
// naming the file and line of the first step that fails. Transcripts go
// to out (io.Discard for a quiet check).
func Verify(ctx context.Context, l *Lesson, out io.Writer) error {
	env, err := newEnvironment(out, trace.RenderOptions{Width: trace.DefaultWidth})
	if err != nil {
		return err
	}
	defer env.close()
	for _, s := range l.Steps {
		if err := env.checkStep(ctx, l.Number, s); err != nil {
			return &ParseError{l.File, s.Line, i18n.T("%v", err)}
		}
	}
	return nil
}

func (env *environment) checkStep(ctx context.Context, n int, s Step) error {
	switch s.Kind {
	case Demo:
		return env.demo(s)
	case Program:
		return env.program(ctx, s)
	case Grade:
		return env.gradeDemo(ctx, s)
	case Exercise:
		if s.Learner != "" {
			return env.checkOwnWork(ctx, n, s)
		}
		return env.checkExercise(s)
	case Play:
		return env.play(ctx, s, nil, io.Discard)
	case Decode:
		return env.checkDecode(s)
	}
	return nil
}

// checkDecode makes sure every payload of a decode demo decodes.
func (env *environment) checkDecode(s Step) error {
	env.decodeDemo(s)
	for _, p := range s.Lines {
		if _, err := decode.Auto(p, ""); err != nil {
			return i18n.Errorf("decode demo %q: %w", p, err)
		}
	}
	return nil
}

// checkExercise answers with the reference solution and evaluates the checks.
func (env *environment) checkExercise(s Step) error {
	a, err := env.start(s, env.sink)
	if err != nil {
		return err
	}
	defer a.close()
	for _, line := range s.Ex.Solution {
		if a.sess == nil {
			a.answer = line
			continue
		}
		if _, err := a.sess.Send(line); err != nil && !errors.Is(err, client.ErrClosed) {
			return err
		}
	}
	if a.passed() {
		return nil
	}
	var failing []string
	for _, c := range s.Ex.Checks {
		if c.Kind == "delivered" && a.delivered(c) || c.Kind != "delivered" && a.holds(c) {
			continue
		}
		failing = append(failing, fmt.Sprintf("line %d: check %s %s", c.Line, c.Kind, strings.Join(c.Args, " ")))
	}
	return i18n.Errorf("the reference solution does not pass: %s", strings.Join(failing, "; "))
}
