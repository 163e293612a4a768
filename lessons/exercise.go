package lessons

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// triesBeforeSolution is how many wrong tries earn the offer of the solution.
const triesBeforeSolution = 2

// attempt is one exercise in progress: the session the learner types into
// and what the mailboxes held when it started.
type attempt struct {
	env      *environment
	step     Step
	sess     *client.Session
	baseline map[string]int // messages per mailbox at the start
	answer   string         // decode exercises: the learner's last answer
	sentSeen int            // messages the server had accepted at the last evaluation
	// looked is what the mailboxes held when last looked into, by owner:
	// looked into again only after the learner sent another message (on
	// a class sandbox, each look is a POP3 session the class sees).
	looked map[string][]string
}

func (env *environment) start(s Step, sink trace.Sink) (*attempt, error) {
	a := &attempt{env: env, step: s, baseline: map[string]int{}, looked: map[string][]string{}}
	for _, c := range s.Ex.Checks {
		if c.Kind == "delivered" {
			owner, err := sandbox.ParseAddress(c.Args[0])
			if err != nil {
				return nil, err
			}
			subjects, err := env.boxes.subjects(owner)
			if err != nil {
				return nil, err
			}
			a.baseline[owner.String()] = len(subjects)
		}
	}
	if s.Proto == "decode" {
		return a, nil
	}
	sess, err := env.connectExercise(s, sink)
	if err != nil {
		return nil, err
	}
	a.sess = sess
	return a, nil
}

// close ends the exercise's session with QUIT, as a mail program does.
func (a *attempt) close() {
	if a.sess != nil {
		a.sess.Quit()
	}
}

// passed evaluates every check. A delivered check waits a little for the
// relay (by the sandbox's events) only right after the server accepted a
// message, and only when everything else already holds.
func (a *attempt) passed() bool {
	var waiting []Check
	for _, c := range a.step.Ex.Checks {
		if c.Kind == "delivered" {
			waiting = append(waiting, c)
			continue
		}
		if !a.holds(c) {
			return false
		}
	}
	justSent := false
	if a.sess != nil {
		justSent = a.sess.State().Sent > a.sentSeen
		a.sentSeen = a.sess.State().Sent
	}
	if justSent {
		clear(a.looked)
	}
	for _, c := range waiting {
		if a.delivered(c) {
			continue
		}
		if !justSent || !a.waitDelivered(c, 3*time.Second) {
			return false
		}
	}
	return true
}

// holds evaluates one check against what the server answered.
func (a *attempt) holds(c Check) bool {
	switch c.Kind {
	case "answer":
		want, err := decode.Auto(c.Args[0], "")
		return err == nil && strings.TrimSpace(a.answer) == strings.TrimSpace(want.Text)
	case "state":
		return strings.EqualFold(a.sess.State().Name(), c.Args[0])
	case "tls":
		return a.sess.Secure
	case "sent":
		var n int
		fmt.Sscan(c.Args[0], &n)
		return a.sess.State().Sent >= n
	case "login":
		return loggedIn(a.sess.State().Exchanges)
	}
	for _, x := range a.sess.State().Exchanges {
		switch c.Kind {
		case "ok":
			if x.Success() && strings.EqualFold(proto.Verb(x.Command), c.Args[0]) && (len(c.Args) < 2 || containsFold(x.Command, c.Args[1])) {
				return true
			}
		case "got":
			if string(x.Reply) == c.Args[0] {
				return true
			}
		case "reply":
			if strings.HasPrefix(strings.ToUpper(x.Status), strings.ToUpper(c.Args[0])) {
				return true
			}
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// nearMiss says how the learner came close without meeting a check: a
// success for the right command with the wrong argument, or a message
// that arrived with another subject. It returns "" when there is no such
// near miss.
func (a *attempt) nearMiss(p *i18n.Printer) string {
	for _, c := range a.step.Ex.Checks {
		if a.holds(c) || c.Kind == "delivered" && a.delivered(c) {
			continue
		}
		switch {
		case c.Kind == "login":
			return p.Tr("in class, log in first: a session without a login is nobody's, and the class sandbox cannot grade it")
		case c.Kind == "state" && a.sess != nil && loggedInBeforeTLS(a.sess.State().Exchanges):
			return p.Tr("the login came before STARTTLS, and TLS starts the conversation over: say EHLO and log in again, inside TLS")
		case c.Kind == "ok" && len(c.Args) == 2 && a.sess != nil:
			for _, x := range a.sess.State().Exchanges {
				if x.Success() && strings.EqualFold(proto.Verb(x.Command), c.Args[0]) {
					return p.Trf("the server accepted %q, but the goal asks for %s", x.Command, c.Args[1])
				}
			}
		case c.Kind == "delivered" && len(c.Args) == 2:
			for _, subject := range a.newSubjects(c) {
				if strings.EqualFold(subject, c.Args[1]) {
					return p.Trf("a message reached %s, but its subject is %q, not %q: letter case counts", c.Args[0], subject, c.Args[1])
				}
				return p.Trf("a message reached %s, but its subject is %q; the goal asks for %q", c.Args[0], subject, c.Args[1])
			}
		}
	}
	return ""
}

// loggedIn reports whether a login succeeded in the session (the check a
// class adds to an exercise that had none).
func loggedIn(exchanges []client.Exchange) bool {
	for _, x := range exchanges {
		if x.Reply == smtp.AuthOK.Key || x.Reply == pop3.LoggedIn.Key {
			return true
		}
	}
	return false
}

// loggedInBeforeTLS reports whether a login succeeded and then STARTTLS
// did, which forgets it (RFC 3207 section 4.2).
func loggedInBeforeTLS(exchanges []client.Exchange) bool {
	loggedIn := false
	for _, x := range exchanges {
		switch verb := strings.ToUpper(proto.Verb(x.Command)); {
		case x.Reply == smtp.AuthOK.Key:
			loggedIn = true
		case verb == "STARTTLS" && x.Success():
			if loggedIn {
				return true
			}
		}
	}
	return false
}

// waitDelivered checks that a new message (with the subject, if given)
// reached a mailbox, waiting up to limit for the mailboxes to say a
// message arrived there, matching or not.
func (a *attempt) waitDelivered(c Check, limit time.Duration) bool {
	owner, _ := sandbox.ParseAddress(c.Args[0])
	if a.delivered(c) {
		return true
	}
	a.env.boxes.wait(owner, a.baseline[owner.String()], limit)
	delete(a.looked, owner.String())
	return a.delivered(c)
}

// delivered reports whether the mailbox has a message it did not have at
// the start, with the subject asked for.
func (a *attempt) delivered(c Check) bool {
	subjects := a.newSubjects(c)
	if len(c.Args) < 2 {
		return len(subjects) > 0
	}
	for _, subject := range subjects {
		if strings.TrimSpace(subject) == c.Args[1] {
			return true
		}
	}
	return false
}

// newSubjects lists the subjects of the messages that reached a check's
// mailbox since the exercise started.
func (a *attempt) newSubjects(c Check) []string {
	owner, _ := sandbox.ParseAddress(c.Args[0])
	subjects, ok := a.looked[owner.String()]
	if !ok {
		subjects, _ = a.env.boxes.subjects(owner)
		a.looked[owner.String()] = subjects
	}
	return subjects[min(a.baseline[owner.String()], len(subjects)):]
}

// wrong reports whether an answer is a failure the learner should hear
// about: an error reply, a closed connection, or a wrong decoded answer.
func (a *attempt) wrong(answer []string, err error) bool {
	if a.sess == nil {
		return true // a decode answer that did not pass
	}
	if errors.Is(err, client.ErrClosed) || a.sess.Closed() {
		return true
	}
	return client.IsError(answer)
}

// reconnect opens a fresh session after the server closed the last one.
func (a *attempt) reconnect(sink trace.Sink) error {
	a.close()
	sess, err := a.env.connectExercise(a.step, sink)
	a.sess = sess
	return err
}

// knownReply reports whether key names a reply of maillab's catalogues.
func knownReply(key string) bool {
	k := proto.Key(key)
	return smtp.Known(k) || pop3.Known(k)
}
