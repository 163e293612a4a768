package lessons

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// mailboxes is how exercises look into a mailbox: the subjects of its
// messages, oldest first, and a wait for a new one.
type mailboxes interface {
	subjects(owner sandbox.Address) ([]string, error)
	// wait returns when owner's mailbox may hold more than had messages,
	// or after limit.
	wait(owner sandbox.Address, had int, limit time.Duration)
}

// subjectOf reads a message's Subject, decoded.
func subjectOf(msg []byte) string {
	res, err := decode.ParseMessage(bytes.NewReader(msg), decode.MessageOptions{})
	if err != nil {
		return ""
	}
	return res.Text
}

// storeBoxes looks into the lesson's own embedded sandbox.
type storeBoxes struct{ sb *sandbox.Sandbox }

func (b storeBoxes) subjects(owner sandbox.Address) ([]string, error) {
	store := b.sb.Store()
	infos, err := store.List(owner)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(infos))
	for _, m := range infos {
		data, _ := store.Read(owner, m.ID)
		out = append(out, subjectOf(data))
	}
	return out, nil
}

// wait waits for the sandbox to say it stored a message in owner's mailbox.
func (b storeBoxes) wait(owner sandbox.Address, had int, limit time.Duration) {
	stored := make(chan struct{}, 1)
	stop := b.sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Stored && strings.EqualFold(e.Facts.Mailbox, owner.String()) {
			select {
			case stored <- struct{}{}:
			default:
			}
		}
	})
	defer stop()
	if n, _ := b.subjects(owner); len(n) > had {
		return
	}
	select {
	case <-stored:
	case <-time.After(limit):
	}
}

// classBoxes looks into the learner's own mailbox on a class sandbox, by
// POP3 with the learner's login (TOP n 0: the headers only). Other
// mailboxes are not the learner's to read.
type classBoxes struct {
	class *Class
	trust *x509.CertPool // the class sandbox's CA among them
}

// login opens a POP3 session as the learner, inside TLS when the server
// offers STLS (a class sandbox with --require-tls takes no password
// without it).
func (b classBoxes) login(owner sandbox.Address) (*client.Session, error) {
	step := Step{Proto: "pop3", Domain: owner.Domain}
	addr, host, err := b.class.target(step)
	if err != nil {
		return nil, err
	}
	s, _, err := client.Dial(context.Background(), client.Config{Proto: "pop3", Addr: addr, Client: "maillab's check", ClientRole: trace.RoleSelf, Timeout: 5 * time.Second,
		TLS: &client.TLS{Config: &tls.Config{ServerName: host, RootCAs: b.trust, MinVersion: tls.VersionTLS12}}})
	if err != nil {
		return nil, err
	}
	lines := []string{"USER " + b.class.Account.User, "PASS " + b.class.Account.Password}
	if capa, err := s.Send("CAPA"); err == nil && slices.Contains(capa, "STLS") {
		lines = append([]string{"STLS"}, lines...)
	}
	for _, line := range lines {
		if answer, err := s.Send(line); err != nil || client.IsError(answer) {
			s.Close()
			return nil, i18n.Errorf("checking %s: %v %v", owner, answer, err)
		}
	}
	return s, nil
}

func (b classBoxes) subjects(owner sandbox.Address) ([]string, error) {
	if !strings.EqualFold(owner.Local, b.class.Account.User) {
		return nil, i18n.Errorf("%s is not your mailbox: in class, exercises check your own (%s)", owner, b.class.Account.User)
	}
	s, err := b.login(owner)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	stat, err := s.Send("STAT")
	if err != nil || client.IsError(stat) {
		return nil, i18n.Errorf("checking %s: %v %v", owner, stat, err)
	}
	var n int
	fmt.Sscanf(strings.TrimPrefix(stat[0], "+OK "), "%d", &n)
	out := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		top, err := s.Send(fmt.Sprintf("TOP %d 0", i))
		if err != nil || client.IsError(top) {
			break
		}
		out = append(out, subjectOf(client.Content(top)))
	}
	s.Send("QUIT")
	return out, nil
}

// wait looks again every so often: the class sandbox is another process,
// whose events this one does not see.
func (b classBoxes) wait(owner sandbox.Address, had int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if n, _ := b.subjects(owner); len(n) > had {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Class is a class sandbox the learner works on: exercises talk to its
// servers as the learner's own account, and each result is reported to
// its page, so the teacher's table fills in. The lesson's demos still run
// on the lesson's own sandbox, with the demo accounts.
type Class struct {
	Server     string           // the class sandbox's host
	PortOffset int              // its --port-offset
	Account    practice.Account // the learner's account
	Page       string           // the page's address, e.g. http://host:8025/ ("": no reports)
}

// target is where the class sandbox's server for a step listens, and the
// name its certificate carries.
func (c *Class) target(s Step) (addr, host string, err error) {
	domain := s.Domain
	if domain == "" {
		domain = sandbox.DefaultDomain(proto.Name(strings.ToUpper(s.Proto)))
	}
	p, ok := sandbox.DefaultWorld().Provider(domain)
	if !ok {
		return "", "", i18n.Errorf("no provider %q", domain)
	}
	mode := sandbox.PlainText
	if s.Implicit {
		mode = sandbox.ImplicitTLS
	}
	svc, _ := p.Service(proto.Name(strings.ToUpper(s.Proto)), mode)
	return svc.DefaultAddr(c.Server, c.PortOffset), svc.Host, nil
}

// joinClass points the exercises at the class sandbox, trusting its CA
// (fetched from its page) besides the lesson's own.
func (env *environment) joinClass(c *Class, note io.Writer) error {
	trust, err := practice.Trust("", c.Page, env.ca.CAPEM(), note, env.lang)
	if err != nil {
		return err
	}
	env.class, env.boxes, env.trust = c, classBoxes{c, trust}, trust
	return nil
}

// localize rewrites an exercise for the learner's account.
func (c *Class) localize(s Step) Step {
	ex := *s.Ex
	ex.Goal = c.Account.Localize(ex.Goal)
	ex.Hints = localizeAll(c.Account, ex.Hints)
	ex.Solution = localizeAll(c.Account, ex.Solution)
	ex.Checks = make([]Check, len(s.Ex.Checks))
	for i, ch := range s.Ex.Checks {
		ch.Args = localizeAll(c.Account, ch.Args)
		ex.Checks[i] = ch
	}
	s.Ex = &ex
	return s
}

func localizeAll(a practice.Account, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = a.Localize(l)
	}
	return out
}

// report tells the class sandbox's page that the learner passed an
// exercise, logging in as the learner. A failure is said, not fatal.
func (r *Runner) report(env *environment, s Step) {
	c := env.class
	if c == nil || c.Page == "" {
		return
	}
	body := fmt.Sprintf(`{"exercise":%q,"passed":true}`, fmt.Sprintf("lesson %d", r.lesson.Number))
	req, err := http.NewRequestWithContext(r.ctx, "POST", strings.TrimSuffix(c.Page, "/")+"/api/report", strings.NewReader(body))
	if err != nil {
		return
	}
	req.SetBasicAuth(c.Account.User+"@"+sandbox.DefaultDomain("smtp"), c.Account.Password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		fmt.Fprintf(r.ErrOut, "maillab: %s\n", r.Lang.Trf("could not tell the class page (%s)", i18n.TranslateError(r.Lang, err)))
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(r.ErrOut, "maillab: %s\n", r.Lang.Trf("the class page did not take the result: %s", resp.Status))
	}
}
