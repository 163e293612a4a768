package web

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"maillab/sandbox/class"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// teacherDo sends a request with the teacher's token.
func teacherDo(t *testing.T, method, url, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp, string(answer)
}

// TestTeacherChecksStudentsServers: the teacher's view runs maillab check
// against a server the teacher names, keeps a row per student's server
// and serves them as CSV; bad requests are refused in words.
func TestTeacherChecksStudentsServers(t *testing.T) {
	sb, page, roll := classroom(t, 1)
	good, _ := sb.Addr("sohu.com", trace.SMTP)
	bad := sandboxtest.YesServer(t)
	for _, req := range []string{
		`{"student":"s01","proto":"smtp","addr":"` + good + `","user":"s01","password":"` + roll[0].Password + `"}`,
		`{"student":"s02","proto":"smtp","addr":"` + bad + `"}`,
	} {
		if resp, body := teacherDo(t, "POST", page.URL()+"api/check", req); resp.StatusCode != 200 {
			t.Fatalf("%s: %s %s", req, resp.Status, body)
		}
	}
	var rows []class.ServerCheck
	sandboxtest.Eventually(t, 60*time.Second, "both checks done", func() bool {
		_, body := teacherDo(t, "GET", page.URL()+"api/checks", "")
		var got struct{ Checks []class.ServerCheck }
		json.Unmarshal([]byte(body), &got)
		rows = got.Checks
		return len(rows) == 2 && !rows[0].Running && !rows[1].Running
	})
	if s01 := rows[0]; s01.Student != "s01" || !s01.OK || s01.Passed != s01.Required || s01.Required < 30 {
		t.Errorf("the sandbox's own server: %+v", s01)
	}
	if s02 := rows[1]; s02.OK || !contains(s02.Failed, "smtp.rcpt-before-mail") {
		t.Errorf("a server that says 250 to everything: %+v", s02)
	}
	_, sheet := teacherDo(t, "GET", page.URL()+"api/checks.csv", "")
	records, err := csv.NewReader(strings.NewReader(sheet)).ReadAll()
	if err != nil || len(records) != 3 || records[2][0] != "s02" || !strings.Contains(records[2][6], "smtp.rcpt-before-mail") {
		t.Errorf("the CSV sheet: %v %q", err, records)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"student":"","proto":"smtp","addr":"127.0.0.1:1"}`, "name the student"},
		{`{"student":"s01","proto":"imap","addr":"127.0.0.1:1"}`, "choose smtp or pop3"},
		{`{"student":"s01","proto":"smtp","addr":"nowhere"}`, "is not HOST:PORT"},
	} {
		if resp, body := teacherDo(t, "POST", page.URL()+"api/check", tc.body); resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %s %q, want 400 saying %q", tc.body, resp.Status, body, tc.want)
		}
	}
	for _, path := range []string{"api/checks", "api/checks.csv"} {
		if resp, err := http.Get(page.URL() + path); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s without the token: %v %v", path, resp.Status, err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
