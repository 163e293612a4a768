package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"maillab/sandbox"
	"maillab/sandbox/check"
	"maillab/sandbox/sandboxtest"
	"maillab/sandbox/sandboxtest/live"
	"maillab/trace"
)

func TestCheckPassesTheSandbox(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	smtpAddr, _ := sb.Addr("sina.com", trace.SMTP)
	popAddr, _ := sb.Addr("sina.com", trace.POP3)
	tests := []struct {
		args []string
		want []string
		all  *regexp.Regexp // the score: every required case passed (tens of them)
	}{
		{[]string{"check", "smtp", smtpAddr, "--user", "bbb", "--password", "123456"},
			[]string{"WARN  smtp.mail-brackets", "PASS  smtp.auth-plain"}, regexp.MustCompile(`Score: (\d+) of (\d+) required cases passed; \d+ passed in all, 0 failed, 2 warnings`)},
		{[]string{"check", "pop3", popAddr, "--user", "bbb", "--password", "123456", "--fill", smtpAddr, "--domain", "sina.com", "--lang", "zh"},
			[]string{"通过  pop3.byte-stuffing"}, regexp.MustCompile(`得分：必需项通过 (\d+)/(\d+)；共通过 \d+ 项，失败 0 项`)},
	}
	for _, tt := range tests {
		out, errOut, err := execute(t, t.Context(), "", tt.args...)
		if err != nil {
			t.Errorf("%v: %v\n%s%s", tt.args, err, out, errOut)
			continue
		}
		if m := tt.all.FindStringSubmatch(out); m == nil || m[1] != m[2] || len(m[1]) != 2 {
			t.Errorf("%v: the score is not %s:\n%s", tt.args, tt.all, out)
		}
		for _, want := range tt.want {
			if !strings.Contains(out, want) {
				t.Errorf("%v: no %q in\n%s", tt.args, want, out)
			}
		}
	}
}

func TestCheckFailsABrokenServer(t *testing.T) {
	addr := sandboxtest.YesServer(t)
	for _, lang := range []string{"en", "zh"} {
		out, _, err := execute(t, t.Context(), "", "check", "smtp", addr, "--only", "greeting,rcpt-before-mail", "--lang", lang, "--width", "100")
		var exit *exitError
		if !errors.As(err, &exit) || exit.code != 1 {
			t.Errorf("%s: err = %v, want exit status 1", lang, err)
		}
		checkGolden(t, filepath.Join("testdata", "check."+lang+".golden"), strings.ReplaceAll(out, addr, "ADDR"))
	}
}

func TestCheckFormats(t *testing.T) {
	addr := sandboxtest.YesServer(t)
	out, _, _ := execute(t, t.Context(), "", "check", "smtp", addr, "--only", "greeting,rcpt-before-mail,size", "--format", "json")
	var report struct {
		OK     bool `json:"ok"`
		Counts struct{ Pass, Fail, Skip int }
		Cases  []struct {
			ID         string `json:"id"`
			Outcome    string `json:"outcome"`
			Transcript []map[string]any
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if report.OK || report.Counts.Pass != 1 || report.Counts.Fail != 1 || report.Counts.Skip != 1 || len(report.Cases) != 3 {
		t.Errorf("JSON report: %+v", report)
	}
	if failed := report.Cases[1]; failed.ID != "smtp.rcpt-before-mail" || failed.Outcome != "fail" || len(failed.Transcript) == 0 || failed.Transcript[0]["note"] == nil {
		t.Errorf("the failed case has no annotated transcript: %+v", failed)
	}
	out, _, _ = execute(t, t.Context(), "", "check", "smtp", addr, "--only", "greeting,rcpt-before-mail", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 || rows[2][0] != "smtp.rcpt-before-mail" || rows[2][3] != "fail" {
		t.Errorf("CSV report: %v %q", err, rows)
	}
}

func TestCheckList(t *testing.T) {
	out, _, err := execute(t, t.Context(), "", "check", "pop3", "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range check.Cases("pop3") {
		if !strings.Contains(out, c.ID) || !strings.Contains(out, c.RFC) {
			t.Errorf("--list lacks %s (%s)", c.ID, c.RFC)
		}
	}
}

func TestCheckBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "imap", "127.0.0.1:143"}, `check "imap": choose smtp or pop3`},
		{[]string{"check", "smtp"}, "accepts 2 arg(s)"},
		{[]string{"check", "smtp", "127.0.0.1:1", "--tls", "ssl"}, "choose starttls or implicit"},
		{[]string{"check", "smtp", "127.0.0.1:1", "--format", "xml"}, "choose text, json or csv"},
		{[]string{"check", "smtp", "127.0.0.1:1", "--only", "frobnicate"}, "no such smtp case: smtp.frobnicate"},
		{[]string{"check", "smtp", "127.0.0.1:1", "--user", "gacl"}, "--user and --password go together"},
		{[]string{"check", "smtp", "127.0.0.1:1", "--fill", "127.0.0.1:2"}, "goes with check pop3"},
		{[]string{"check", "smtp", "127.0.0.1:1"}, "connect to 127.0.0.1:1"},
	}
	for _, tt := range tests {
		out, _, err := execute(t, context.Background(), "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
		if out != "" {
			t.Errorf("%v wrote a report:\n%s", tt.args, out)
		}
	}
}
