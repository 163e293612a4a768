package check_test

import (
	"context"
	"slices"
	"testing"

	"maillab/sandbox"
	"maillab/sandbox/check"
	"maillab/sandbox/sandboxtest/live"
	"maillab/trace"
)

// requireAllPass fails the test with every case that did not pass, but
// for the warnings named.
func requireAllPass(t *testing.T, report *check.Report, warnings ...string) {
	t.Helper()
	var warned []string
	for _, res := range report.Results {
		switch res.Outcome {
		case check.Warn:
			warned = append(warned, res.Case.ID)
		case check.Fail:
			t.Errorf("%s: %s: want %s, got %s", res.Case.ID, res.Outcome, res.Want.In(nil), res.Got)
		}
	}
	if !slices.Equal(warned, warnings) {
		t.Errorf("%s %s warned of %q, want %q", report.Proto, report.Addr, warned, warnings)
	}
}

// maillabLeniency are the strict cases maillab's SMTP server warns of:
// it takes addresses without angle brackets, as learners type them.
var maillabLeniency = []string{"smtp.mail-brackets", "smtp.postmaster-brackets"}

func TestMaillabPassesEverySMTPCase(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	addr, _ := sb.Addr("sohu.com", trace.SMTP)
	report, err := check.Run(context.Background(), check.Options{Proto: "smtp", Addr: addr, User: "gacl", Password: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report, maillabLeniency...)
}

func TestMaillabPassesEveryPOP3Case(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	addr, _ := sb.Addr("sina.com", trace.POP3)
	fill, _ := sb.Addr("sina.com", trace.SMTP)
	report, err := check.Run(context.Background(), check.Options{Proto: "pop3", Addr: addr, User: "bbb", Password: "123456", Domain: "sina.com", Fill: fill})
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report)
}

func TestMaillabWithTLS(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{})
	smtpAddr, _ := sb.Addr("sohu.com", trace.SMTP)
	pop3Addr, _ := sb.Addr("sina.com", trace.POP3)
	fill, _ := sb.Addr("sina.com", trace.SMTP)
	for _, opts := range []check.Options{
		{Proto: "smtp", Addr: smtpAddr, User: "gacl", Password: "123456"},
		{Proto: "smtp", Addr: smtpAddr, User: "gacl", Password: "123456", TLS: "starttls"},
		{Proto: "pop3", Addr: pop3Addr, User: "bbb", Password: "123456", Domain: "sina.com", Fill: fill},
		{Proto: "pop3", Addr: pop3Addr, User: "bbb", Password: "123456", Domain: "sina.com", Fill: fill, TLS: "starttls"},
	} {
		report, err := check.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		var warnings []string
		if opts.Proto == "smtp" {
			warnings = maillabLeniency
		}
		requireAllPass(t, report, warnings...)
		for _, res := range report.Results {
			if res.Outcome == check.Skip && res.Case.ID != "smtp.starttls-restart" && res.Case.ID != "pop3.stls" && res.Case.ID != "smtp.starttls-argument" {
				t.Errorf("%s %s: skipped: %s", opts.Proto, res.Case.ID, res.Want.In(nil))
			}
		}
	}
}
