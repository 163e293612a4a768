package lessons

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
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

// wait listens to the class page's public events (the class sandbox is
// another process) for the message stored in owner's mailbox, then looks
// once; without a page it looks again every second. Either way the
// learner's mailbox is read by few sessions, which the class sees too.
func (b classBoxes) wait(owner sandbox.Address, had int, limit time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	stored, err := b.class.storedIn(ctx, owner)
	if err != nil {
		for ctx.Err() == nil {
			if n, _ := b.subjects(owner); len(n) > had {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		return
	}
	if n, _ := b.subjects(owner); len(n) > had {
		return
	}
	select {
	case <-stored:
	case <-ctx.Done():
	}
}

// storedIn follows the class page's events from now on and signals when
// one says a message was stored in owner's mailbox.
func (c *Class) storedIn(ctx context.Context, owner sandbox.Address) (<-chan struct{}, error) {
	if c.Page == "" {
		return nil, i18n.Errorf("no class page")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(c.Page, "/")+"/events?since=end", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, i18n.Errorf("the class page's events: %s", resp.Status)
	}
	stored := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			data, ok := strings.CutPrefix(lines.Text(), "data: ")
			var e struct {
				Action string `json:"action"`
				Facts  struct {
					Mailbox string `json:"mailbox"`
				} `json:"facts"`
			}
			if ok && json.Unmarshal([]byte(data), &e) == nil && e.Action == string(trace.Stored) && strings.EqualFold(e.Facts.Mailbox, owner.String()) {
				close(stored)
				return
			}
		}
	}()
	return stored, nil
}

// Class is a class sandbox the learner works on: exercises talk to its
// servers as the learner's own account, and the class sandbox grades them
// from what its servers saw (nothing is reported: a report could be
// forged). The lesson's demos still run on the lesson's own sandbox, with
// the demo accounts, but for those that leave mail for the exercise that
// follows: they send it to the learner's mailbox at the class sandbox.
type Class struct {
	Server     string           // the class sandbox's host
	PortOffset int              // its --port-offset
	Account    practice.Account // the learner's account
	Page       string           // the page's address, e.g. http://host:8025/, where its CA is fetched
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

// localize rewrites an exercise for the learner's account. An exercise
// whose solution logs in nowhere gains a login: the class sandbox grades
// a session by the account it logged in as, and a session without one is
// nobody's.
func (c *Class) localize(s Step, lang *i18n.Printer) Step {
	ex := *s.Ex
	var gained []Check
	if s.Proto != "decode" && !logsIn(ex.Solution) {
		ex, gained = c.withLogin(s, ex, lang), []Check{{Kind: "login"}}
	}
	ex.Goal = c.Account.Localize(ex.Goal)
	ex.Hints = localizeAll(c.Account, ex.Hints)
	ex.Solution = localizeAll(c.Account, ex.Solution)
	ex.Checks = make([]Check, 0, len(s.Ex.Checks)+1)
	for _, ch := range append(s.Ex.Checks, gained...) {
		ch.Args = localizeAll(c.Account, ch.Args)
		ex.Checks = append(ex.Checks, ch)
	}
	s.Ex = &ex
	return s
}

// logsIn reports whether a solution logs in: AUTH in SMTP, PASS in POP3.
func logsIn(solution []string) bool {
	for _, line := range solution {
		if verb := strings.ToUpper(proto.Verb(line)); verb == "AUTH" || verb == "PASS" {
			return true
		}
	}
	return false
}

// withLogin is an exercise with a login first: said in the goal and done
// in the solution (after EHLO, with the sender then the learner's own
// address: a logged-in sender sends as themselves). localize adds the
// check.
func (c *Class) withLogin(s Step, ex ExerciseSpec, lang *i18n.Printer) ExerciseSpec {
	domain := s.Domain
	if domain == "" {
		domain = sandbox.DefaultDomain(proto.Name(strings.ToUpper(s.Proto)))
	}
	me := c.Account.User + "@" + domain
	login := []string{"USER gacl", "PASS 123456"}
	if s.Proto == "smtp" {
		login = []string{"AUTH LOGIN", "Z2FjbA==", "MTIzNDU2"}
		ex.Goal += " " + lang.Trf("In class, log in first (after EHLO: AUTH LOGIN as %s) and send as %s: the class sandbox grades what its servers saw, and a session without a login is nobody's.", c.Account.User, me)
	} else {
		ex.Goal += " " + lang.Trf("In class, log in first (USER %s, PASS and your password): the class sandbox grades what its servers saw, and a session without a login is nobody's.", c.Account.User)
	}
	var solution []string
	at := 0
	if len(ex.Solution) > 0 && strings.EqualFold(proto.Verb(ex.Solution[0]), "EHLO") {
		solution, at = append(solution, ex.Solution[0]), 1
	}
	solution = append(solution, login...)
	for _, line := range ex.Solution[at:] {
		if strings.EqualFold(proto.Verb(line), "MAIL") {
			line = "MAIL FROM:<" + me + ">"
		}
		solution = append(solution, line)
	}
	ex.Solution = solution
	return ex
}

func localizeAll(a practice.Account, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = a.Localize(l)
	}
	return out
}
