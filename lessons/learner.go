package lessons

import (
	"fmt"
	"strings"

	"maillab/lessons/practice"
	"maillab/trace"
	"maillab/trace/decode"
)

// exercise runs the learner's turn: their lines go to a real server until
// the checks hold. A wrong try gets the next hint; after two, the solution
// is offered. It reports whether the exercise was passed.
func (r *Runner) exercise(env *environment, s Step) (bool, error) {
	if env.class != nil {
		s = env.class.localize(s, r.Lang)
	}
	ex, lang := s.Ex, r.Lang
	fmt.Fprintf(r.Out, "\n--- %s ---\n%s\n", lang.Tr("your turn"), trace.Wrap(ex.Goal, r.Width, 0, 0))
	fmt.Fprintln(r.Out, trace.Wrap(lang.Tr("(type commands; :hint for a hint, :solution for one answer, :skip to move on, :quit to leave)"), r.Width, 0, 1))
	a, err := env.start(s, env.sink)
	if err != nil {
		return false, err
	}
	defer a.close()
	tries := 0
	told := map[string]bool{} // near misses already pointed out
	for {
		line, err := r.readLine(a)
		if err != nil {
			return false, err
		}
		line, isHelper := practice.Helper(line)
		if isHelper {
			done, err := r.helper(line, a, tries)
			if done || err != nil {
				return false, err
			}
			continue
		}
		answer, sendErr := r.send(a, line)
		if a.passed() {
			if a.sess == nil {
				fmt.Fprintln(r.Out, "\n✓ "+lang.Tr("passed: that is what it says"))
			} else {
				fmt.Fprintln(r.Out, "\n✓ "+lang.Tr("passed: the server's answers show you did it"))
			}
			return true, nil
		}
		if miss := a.nearMiss(lang); miss != "" && !told[miss] {
			told[miss] = true
			r.say(lang.Trf("close: %s", miss))
		}
		if a.wrong(answer, sendErr) {
			tries++
			r.hint(ex, tries)
		}
		if a.sess != nil && a.sess.Closed() {
			fmt.Fprintln(r.Out, trace.Wrap(lang.Tr("the connection is closed; a new one is open, try again"), r.Width, 0, 0))
			if err := a.reconnect(env.sink); err != nil {
				return false, err
			}
		}
	}
}

// say writes a line of maillab's own prose, indented, wrapped to the
// width (an answer or a solution to copy is written as it is).
func (r *Runner) say(text string) {
	fmt.Fprintf(r.Out, "  %s\n", trace.Wrap(text, r.Width, 2, 4))
}

// readLine reads the learner's next line, showing a prompt at a terminal.
func (r *Runner) readLine(a *attempt) (string, error) {
	if r.Interactive {
		prompt := r.Lang.Tr("answer") + "> "
		if a.sess != nil {
			prompt = fmt.Sprintf("%s [%s]> ", a.sess.Server, a.sess.State().LabelIn(r.Lang))
		}
		fmt.Fprint(r.ErrOut, prompt)
	}
	return r.lines.Next(r.ctx)
}

// send gives the line to the server, or takes it as a decode answer.
func (r *Runner) send(a *attempt, line string) ([]string, error) {
	if a.sess == nil {
		a.answer = line
		r.say(r.Lang.Trf("your answer: %s", line))
		return nil, nil
	}
	return a.sess.Send(line)
}

// hint gives the hint for the n-th wrong try and offers the solution
// after two.
func (r *Runner) hint(ex *ExerciseSpec, tries int) {
	if tries <= len(ex.Hints) {
		r.say(r.Lang.Trf("hint: %s", ex.Hints[tries-1]))
	}
	if tries == triesBeforeSolution {
		r.say(r.Lang.Tr("(two tries: type :solution to see one way to do it)"))
	}
}

// helper runs a ":" line. It reports whether the exercise ends (skipped).
func (r *Runner) helper(line string, a *attempt, tries int) (bool, error) {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	lang := r.Lang
	switch strings.ToLower(cmd) {
	case ":quit", ":q":
		return true, errQuit
	case ":skip":
		r.say(lang.Tr("skipped: not passed"))
		return true, nil
	case ":hint":
		if len(a.step.Ex.Hints) == 0 {
			r.say(lang.Tr("no hint here; :solution shows an answer"))
		} else {
			r.say(lang.Trf("hint: %s", a.step.Ex.Hints[min(tries, len(a.step.Ex.Hints)-1)]))
		}
	case ":solution":
		r.say(lang.Tr("one way to do it:"))
		for _, l := range a.step.Ex.Solution {
			fmt.Fprintf(r.Out, "    %s\n", l)
		}
	case ":b64":
		fmt.Fprintf(r.Out, "  %s\n", decode.EncodeBase64(arg))
	case ":unb64", ":decode":
		trace.ShowDecoded(r.Out, lang, arg, r.Width)
	case ":state":
		if a.sess != nil {
			r.say(a.sess.State().DescribeIn(lang))
		}
	default:
		r.say(lang.Tr("helpers: :hint :solution :skip :quit :b64 TEXT :unb64 BASE64 :decode TEXT :state"))
	}
	return false, nil
}
