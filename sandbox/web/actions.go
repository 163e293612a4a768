package web

import (
	"errors"
	"net/http"
	"sort"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/class"
	"maillab/sandbox/play"
	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/smtp"
)

// publicTiles serves the class at a glance for the projector: a tile per
// student, with nothing a student could not show the room themselves.
func (s *Server) publicTiles(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"tiles": s.room.Tiles(true), "exercises": s.room.Book().Exercises()})
}

// armedFault is a fault waiting for an account's next message.
type armedFault struct {
	Account string `json:"account"`
	Fault   string `json:"fault"` // its reply key
	Reply   string `json:"reply"` // the reply it gives
}

// classView is everything the teacher's view shows: the tiles unmasked,
// the grade book, the faults waiting.
func (s *Server) classView(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{
		"tiles":     s.room.Tiles(false),
		"exercises": s.room.Book().Exercises(),
		"grades":    s.room.Book().All(),
		"faults":    s.faults(),
		"rules":     s.rules(),
	})
}

// ruleWords are a verdict rule's words for the teacher's view.
type ruleWords struct {
	Label  string `json:"label"`  // a few words, for a cell
	Found  string `json:"found"`  // what the client did
	Advice string `json:"advice"` // what it should do instead
}

// rules says each verdict rule in the sandbox's language.
func (s *Server) rules() map[trace.Rule]ruleWords {
	out := map[trace.Rule]ruleWords{}
	for _, r := range trace.Rules {
		out[r] = ruleWords{Label: trace.RuleLabel(s.lang(), r), Found: trace.RuleIn(s.lang(), r), Advice: trace.RuleAdvice(s.lang(), r)}
	}
	return out
}

// faults lists the faults waiting, by account.
func (s *Server) faults() []armedFault {
	out := []armedFault{}
	for account, f := range s.sb.Faults() {
		out = append(out, armedFault{Account: account, Fault: string(f.Key), Reply: trace.Visible(f.Line(account))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// gradesCSV serves a sheet of the grade book as CSV: ?sheet=summary
// (a row per student), all (every result) or failures.
func (s *Server) gradesCSV(w http.ResponseWriter, r *http.Request) {
	sheet := class.Sheet(r.URL.Query().Get("sheet"))
	if sheet == "" {
		sheet = class.Summary
	}
	if sheet != class.Summary && sheet != class.Results && sheet != class.Failures {
		s.refuse(w, i18n.Errorf("no sheet %q: summary, all or failures", trace.Visible(string(sheet))), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="maillab-grades-`+string(sheet)+`.csv"`)
	w.Write([]byte("\ufeff")) // so that spreadsheets read it as UTF-8
	s.room.Book().WriteCSV(w, sheet, s.room.Students(), s.lang())
}

// lang is the language of the page's words.
func (s *Server) lang() *i18n.Printer { return i18n.Or(s.cfg.Lang) }

// said answers an action with what was done, in words.
func (s *Server) said(w http.ResponseWriter, text string, details map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	details["said"] = text
	writeJSON(w, details)
}

// refuse answers an action that could not be done, saying why in words.
func (s *Server) refuse(w http.ResponseWriter, err error, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write([]byte(i18n.TranslateError(s.lang(), err)))
}

// accountRequest names an account or a student ("" or "all": everyone).
type accountRequest struct {
	Account string `json:"account"`
	Fault   string `json:"fault,omitempty"`
}

// everyone reports whether a request is for the whole class.
func (req accountRequest) everyone() bool { return req.Account == "" || req.Account == "all" }

// mailboxesOf lists the mailboxes a request names: every class account's
// (or, without a class, every account's), a student's in every domain,
// or one address.
func (s *Server) mailboxesOf(req accountRequest) ([]sandbox.Address, error) {
	var out []sandbox.Address
	for _, t := range s.room.Tiles(false) {
		if req.everyone() || t.Student == req.Account {
			for _, a := range t.Accounts {
				addr, _ := sandbox.ParseAddress(a)
				out = append(out, addr)
			}
		}
	}
	if len(out) > 0 || req.everyone() {
		return out, nil
	}
	a, err := sandbox.ParseAddress(req.Account)
	if err != nil {
		return nil, err
	}
	return []sandbox.Address{a}, nil
}

func (s *Server) emptyMailbox(w http.ResponseWriter, r *http.Request) {
	var req accountRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	targets, err := s.mailboxesOf(req)
	if err != nil {
		s.refuse(w, err, http.StatusBadRequest)
		return
	}
	deleted, problems := 0, []error{}
	for _, a := range targets {
		n, err := s.sb.EmptyMailbox(a)
		deleted += n
		problems = append(problems, err)
	}
	p := s.lang()
	text := p.Trf("emptied %s: %s deleted", p.Count(len(targets), "mailbox"), p.Count(deleted, "message"))
	if err := errors.Join(problems...); err != nil {
		text += p.Tr(", ") + i18n.TranslateError(p, err)
	}
	s.said(w, text, map[string]any{"deleted": deleted})
}

func (s *Server) resetProgress(w http.ResponseWriter, r *http.Request) {
	var req accountRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	p := s.lang()
	if req.everyone() {
		s.room.Reset("")
		s.said(w, p.Tr("forgot the whole class's grades and counts"), nil)
		return
	}
	s.room.Reset(req.Account)
	s.said(w, p.Trf("forgot %s's grades and counts", req.Account), nil)
}

func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) {
	var req accountRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	a, err := sandbox.ParseAddress(req.Account)
	fault := faultByKey(req.Fault)
	if err == nil {
		err = s.sb.InjectFault(a, fault)
	}
	if err != nil {
		s.refuse(w, err, http.StatusBadRequest)
		return
	}
	p := s.lang()
	s.said(w, p.Trf("armed: the next message to %s gets %s", a.String(), fault.Line(a.String())), nil)
}

func (s *Server) cancelFault(w http.ResponseWriter, r *http.Request) {
	var req accountRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	a, err := sandbox.ParseAddress(req.Account)
	if err != nil {
		s.refuse(w, err, http.StatusBadRequest)
		return
	}
	p := s.lang()
	if !s.sb.CancelFault(a) {
		s.said(w, p.Trf("no fault was waiting for %s", a.String()), nil)
		return
	}
	s.said(w, p.Trf("cancelled the fault waiting for %s", a.String()), nil)
}

// play runs the six steps on the class sandbox and has the projector
// narrate that message, stage by stage.
func (s *Server) play(w http.ResponseWriter, r *http.Request) {
	var req struct{ From, To, Subject, Body, TLS string }
	if r.ContentLength != 0 && !s.readJSON(w, r, &req) {
		return
	}
	res, err := play.On(s.ctx, s.sb, play.Options{From: req.From, To: req.To, Subject: req.Subject, Body: req.Body, TLS: req.TLS})
	if err != nil {
		s.refuse(w, err, http.StatusBadRequest)
		return
	}
	p := s.lang()
	if res.Message != "" {
		s.narrate(res.Message)
	}
	var text string
	switch {
	case res.Refused != "":
		text = p.Trf("the six steps: refused at step 1 (%s)", trace.Visible(res.Refused))
	case res.Bounced:
		text = p.Trf("the six steps: bounced, the report fetched from %s; the projector tells it stage by stage", res.Mailbox)
	default:
		text = p.Trf("the six steps: delivered and fetched from %s in %s; the projector tells it stage by stage", res.Mailbox, res.Elapsed.Round(time.Millisecond).String())
	}
	s.said(w, text, map[string]any{"message": res.Message, "delivered": res.Delivered, "bounced": res.Bounced, "hops": res.Hops})
}

// faultByKey finds an injectable fault by its reply key.
func faultByKey(key string) smtp.Reply {
	for _, f := range smtp.Faults {
		if string(f.Key) == key {
			return f
		}
	}
	return smtp.Reply{Key: proto.Key(key)}
}
