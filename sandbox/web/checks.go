package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"maillab/sandbox/check"
	"maillab/sandbox/class"
	"maillab/trace"
	"maillab/trace/i18n"
)

// The teacher's view runs maillab check against a student's server (the
// teacher types where it listens) and keeps the result, a row per
// student's server, with a CSV sheet.

// checkRequest is what the teacher typed.
type checkRequest struct {
	Student  string `json:"student"`
	Proto    string `json:"proto"`
	Addr     string `json:"addr"`
	User     string `json:"user"`
	Password string `json:"password"`
	Strict   bool   `json:"strict"`
}

// Bounds on checks: a few at a time, each done within its time.
const (
	maxRunningChecks = 4
	checkTimeout     = 5 * time.Minute
)

// validate says what is wrong with a request, before anything is dialled.
func (req *checkRequest) validate() error {
	req.Student, req.Addr = strings.TrimSpace(req.Student), strings.TrimSpace(req.Addr)
	switch {
	case req.Student == "" || len(req.Student) > 64:
		return i18n.Errorf("name the student (up to 64 characters)")
	case req.Proto != "smtp" && req.Proto != "pop3":
		return i18n.Errorf("check %q: choose smtp or pop3", trace.Visible(req.Proto))
	case len(req.Addr) > 256 || len(req.User) > 256 || len(req.Password) > 1024:
		return i18n.Errorf("HOST:PORT, user or password too long")
	case (req.User == "") != (req.Password == ""):
		return i18n.Errorf("--user and --password go together")
	}
	if host, port, err := net.SplitHostPort(req.Addr); err != nil || host == "" || port == "" {
		return i18n.Errorf("%q is not HOST:PORT", trace.Visible(req.Addr))
	}
	return nil
}

// runCheck starts maillab check against a student's server; the teacher's
// view polls /api/checks for the result.
func (s *Server) runCheck(w http.ResponseWriter, r *http.Request) {
	var req checkRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if err := req.validate(); err != nil {
		s.refuse(w, err, http.StatusBadRequest)
		return
	}
	row := class.ServerCheck{Student: trace.Visible(req.Student), Proto: req.Proto, Addr: trace.Visible(req.Addr), Strict: req.Strict, When: time.Now()}
	p := s.lang()
	select {
	case s.checking <- struct{}{}:
	default:
		s.refuse(w, i18n.Errorf("%d checks are running already: wait for one to end", maxRunningChecks), http.StatusServiceUnavailable)
		return
	}
	if err := s.servers.Begin(row); err != nil {
		<-s.checking
		status := http.StatusServiceUnavailable
		if errors.Is(err, class.ErrChecking) {
			status = http.StatusConflict
		}
		s.refuse(w, err, status)
		return
	}
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer func() { <-s.checking }()
		s.servers.Finish(s.check(req, row))
	}()
	s.said(w, p.Trf("checking %s's %s server at %s", row.Student, strings.ToUpper(req.Proto), row.Addr), nil)
}

// check runs maillab check and sums its report up as a row.
func (s *Server) check(req checkRequest, row class.ServerCheck) class.ServerCheck {
	ctx, cancel := context.WithTimeout(s.ctx, checkTimeout)
	defer cancel()
	report, err := check.Run(ctx, check.Options{Proto: req.Proto, Addr: req.Addr, User: req.User, Password: req.Password, Strict: req.Strict})
	row.When = time.Now()
	if err != nil {
		row.Error = i18n.TranslateError(s.lang(), err)
		return row
	}
	row.OK, row.Failed, row.Warned = report.OK(), []string{}, []string{}
	for _, res := range report.Results {
		switch res.Outcome {
		case check.Fail:
			row.Failed = append(row.Failed, res.Case.ID)
		case check.Warn:
			row.Warned = append(row.Warned, res.Case.ID)
		case check.Skip:
			row.Skipped++
		}
	}
	row.Passed, row.Required = report.Required()
	return row
}

// serverChecks lists the checks of students' servers.
func (s *Server) serverChecks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"checks": s.servers.All()})
}

// serverChecksCSV serves them as a CSV sheet.
func (s *Server) serverChecksCSV(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="maillab-servers.csv"`)
	s.servers.WriteCSV(w, s.lang())
}
