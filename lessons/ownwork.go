package lessons

import (
	"context"
	"fmt"
	"strings"
	"time"

	"maillab/sandbox/check"
	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Exercises where the learner brings their own work: a mail program (its
// sessions with the lesson's sandbox checked by the servers, as in class)
// or a mail server (graded by maillab check).

// programGrader follows the lesson's sandbox for a program exercise: the
// servers' side of every session is shown, and a grader of the one
// exercise decides it.
type programGrader struct {
	grader   *Grader
	id       string
	queue    *trace.Queue
	sessions *sessionWatch
}

// watchProgram starts following the sandbox for exercise s of lesson n.
func (env *environment) watchProgram(n int, s Step, show trace.Sink) *programGrader {
	g := NewGrader([]*Lesson{{Number: n, Steps: []Step{s}}}, env.sb.World())
	sessions := newSessionWatch()
	q := env.sb.Events.SubscribeQueued("the exercise's grader", 8192, func(e trace.Event) {
		g.Observe(e)
		if !programsOwn(e) {
			return
		}
		sessions.saw(e)
		if show != nil && e.Action != trace.Closed {
			show(e)
		}
	}, sessions.poke)
	return &programGrader{grader: g, id: fmt.Sprintf("%d.1", n), queue: q, sessions: sessions}
}

// stop stops following, once what the servers said has been heard.
func (pg *programGrader) stop(wait time.Duration) { pg.queue.Close(wait) }

// passed reports whether any account's sessions passed the exercise.
func (pg *programGrader) passed() bool {
	for _, grades := range pg.grader.Book().All() {
		if grades[pg.id].Passed {
			return true
		}
	}
	return false
}

// programTarget tells the learner where their program connects.
func (env *environment) programTarget() string {
	smtpAddr, _ := env.sb.Addr("sohu.com", trace.SMTP)
	popAddr, _ := env.sb.Addr("sina.com", trace.POP3)
	ca, _ := env.caFile()
	return env.lang.Trf("SMTP (sohu.com): localhost:%s, STARTTLS offered; POP3 (sina.com): localhost:%s, STLS offered; accounts gacl@sohu.com and bbb@sina.com, password 123456; the sandbox's CA: %s",
		port(smtpAddr), port(popAddr), ca)
}

// programExercise is a program exercise at the terminal: the learner
// runs their program, presses Enter, and the servers' grader says.
func (r *Runner) programExercise(env *environment, s Step) (bool, error) {
	lang := r.Lang
	if env.class != nil {
		r.say(lang.Tr("in class, run your program against the class sandbox with your own account: the class sandbox grades it, and the teacher's view shows the result"))
		return false, nil
	}
	r.say(env.programTarget())
	pg := env.watchProgram(r.lesson.Number, s, env.serverSink())
	defer pg.stop(time.Second)
	tries := 0
	for {
		fmt.Fprintf(r.ErrOut, "\n[%s] ", lang.Tr("Enter when your program has run; :solution, :skip or :quit"))
		line, err := r.lines.Next(r.ctx)
		if err != nil {
			return false, err
		}
		switch strings.TrimSpace(line) {
		case ":quit":
			return false, errQuit
		case ":skip":
			return false, nil
		case ":solution":
			env.showProgram(s.Language, s.Ex.Solution) // and run it: its sessions count like any program's
			run, err := env.runProgram(r.ctx, s.Language, s.Ex.Solution, nil)
			if err != nil {
				return false, err
			}
			if run.missing != "" {
				r.say(lang.Trf("(not run here: %s)", lang.Tr(run.missing)))
				continue
			}
		}
		pg.sessions.settle(pg.queue, 2*time.Second) // the servers' last events: the verdict at each close
		if pg.passed() {
			fmt.Fprintln(r.Out, "\n✓ "+lang.Tr("passed: the servers saw your program do it, and found nothing wrong"))
			return true, nil
		}
		tries++
		r.say(lang.Tr("not yet: the servers have not seen a session that does all of it with a clean verdict (the lines above show what they saw)"))
		r.hint(s.Ex, tries)
	}
}

// serverExercise is a server exercise at the terminal: the learner types
// where their server listens, and maillab check grades it.
func (r *Runner) serverExercise(env *environment, s Step) (bool, error) {
	lang := r.Lang
	r.say(lang.Tr("type HOST:PORT of your server (and a user and password, if it takes logins): maillab check grades it; :solution grades the sandbox's own"))
	tries := 0
	for {
		fmt.Fprintf(r.ErrOut, "\n%s> ", s.Proto)
		line, err := r.lines.Next(r.ctx)
		if err != nil {
			return false, err
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case fields[0] == ":quit":
			return false, errQuit
		case fields[0] == ":skip":
			return false, nil
		case fields[0] == ":solution":
			fields = env.ownServer(s)
		}
		opts := check.Options{Proto: s.Proto, Addr: fields[0]}
		if len(fields) >= 3 {
			opts.User, opts.Password = fields[1], fields[2]
		}
		report, err := check.Run(r.ctx, opts)
		if err != nil {
			r.say(i18n.TranslateError(lang, err))
			tries++
			r.hint(s.Ex, tries)
			continue
		}
		report.Write(r.Out, check.WriteOptions{Lang: lang, Color: r.Color, Width: r.Width})
		if serverPasses(report) {
			fmt.Fprintln(r.Out, "\n✓ "+lang.Tr("passed: every required case holds"))
			return true, nil
		}
		tries++
		r.hint(s.Ex, tries)
	}
}

// ownServer is the sandbox's own server for a server exercise, as the
// learner would type it: its address, a user and a password.
func (env *environment) ownServer(s Step) []string {
	domain, user := "sohu.com", "gacl"
	if s.Proto == "pop3" {
		domain, user = "sina.com", "bbb"
	}
	addr, _ := env.sb.Addr(domain, proto.Name(strings.ToUpper(s.Proto)))
	return []string{addr, user, "123456"}
}

// serverPasses decides a server exercise: no required case failed, and
// every case that needs nothing but a connection ran and passed.
func serverPasses(report *check.Report) bool {
	if !report.OK() {
		return false
	}
	for _, res := range report.Results {
		if len(res.Case.Needs) == 0 && res.Case.Level == check.Required && res.Outcome != check.Pass {
			return false
		}
	}
	return true
}

// checkOwnWork answers a program or server exercise with its reference
// solution (lesson check).
func (env *environment) checkOwnWork(ctx context.Context, n int, s Step) error {
	if s.Learner == "server" {
		return env.checkOwnServer(ctx, s, false)
	}
	pg := env.watchProgram(n, s, nil)
	run, err := env.runProgram(ctx, s.Language, s.Ex.Solution, nil)
	pg.stop(2 * time.Second)
	switch {
	case err != nil:
		return err
	case run.missing != "":
		fmt.Fprintf(env.out, "%s\n", env.lang.Trf("(not run here: %s)", env.lang.Tr(run.missing)))
		return nil
	case run.err != nil:
		return i18n.Errorf("the reference program failed: %w\n%s", run.err, trace.Visible(string(run.output)))
	case !pg.passed():
		return i18n.Errorf("the reference program does not pass the exercise's checks")
	}
	return nil
}

// gradeDemo runs maillab check against the sandbox's own server and shows
// the report.
func (env *environment) gradeDemo(ctx context.Context, s Step) error {
	return env.checkOwnServer(ctx, s, true)
}

// checkOwnServer runs maillab check against the sandbox's own server,
// showing the report when show is set, and fails unless it passes.
func (env *environment) checkOwnServer(ctx context.Context, s Step, show bool) error {
	fields := env.ownServer(s)
	report, err := check.Run(ctx, check.Options{Proto: s.Proto, Addr: fields[0], User: fields[1], Password: fields[2]})
	if err != nil {
		return err
	}
	if show {
		report.Write(env.out, check.WriteOptions{Lang: env.lang, Width: env.width})
	}
	if !serverPasses(report) {
		return i18n.Errorf("the sandbox's own server does not pass maillab check: %s", report.Score(nil))
	}
	return nil
}
