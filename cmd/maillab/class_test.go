package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
)

// classRun is one run of `maillab sandbox` for a class, stopped by stop,
// which returns what it printed.
type classRun struct {
	cancel context.CancelFunc
	done   chan [2]string
	page   string
}

func startClass(t *testing.T, dir string, offset int) *classRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	run := &classRun{cancel: cancel, done: make(chan [2]string, 1), page: "http://127.0.0.1:" + strconv.Itoa(pagePort+offset) + "/"}
	go func() {
		out, errOut, err := execute(t, ctx, "", "sandbox", "--students", "2", "--maildir", dir, "--roster", filepath.Join(dir, "..", "roster.csv"),
			"--port-offset", strconv.Itoa(offset), "--color", "never", "--lang", "en")
		if err != nil {
			errOut += err.Error()
		}
		run.done <- [2]string{out, errOut}
	}()
	sandboxtest.Eventually(t, 15*time.Second, "the class page", func() bool {
		resp, err := http.Get(run.page + "api/tiles")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return run
}

func (r *classRun) stop(t *testing.T) (string, string) {
	t.Helper()
	r.cancel()
	got := sandboxtest.Receive(t, r.done, 20*time.Second, "the sandbox to stop")
	return got[0], got[1]
}

// say talks SMTP: each line and the start of its answer.
func say(t *testing.T, addr string, script ...string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	expect := func(want string) {
		for {
			l, err := r.ReadString('\n')
			if err != nil || !strings.HasPrefix(l, want) {
				t.Fatalf("want %s, got %q (%v)", want, l, err)
			}
			if len(l) < 4 || l[3] != '-' {
				return
			}
		}
	}
	expect("220")
	for i := 0; i+1 < len(script); i += 2 {
		fmt.Fprintf(c, "%s\r\n", script[i])
		if script[i+1] != "" {
			expect(script[i+1])
		}
	}
}

// TestClassTerminalAndRestart: in a class the teacher's terminal sums the
// sessions up (a line per journey and per error, no protocol lines), and
// a restart with the same --maildir keeps the teacher's token, the
// postmaster's password, the tiles and the grades.
func TestClassTerminalAndRestart(t *testing.T) {
	offset := freeOffset(t)
	dir := filepath.Join(t.TempDir(), "mail")
	first := startClass(t, dir, offset)
	roll, err := roster.Load(filepath.Join(dir, "..", "roster.csv"), []string{"sohu.com", "sina.com"})
	if err != nil {
		t.Fatal(err)
	}
	password := roll[0].Password // s01's
	smtp := "127.0.0.1:" + strconv.Itoa(2525+offset)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	say(t, smtp, "EHLO me", "250", "AUTH LOGIN", "334", b64("s02"), "334", b64("000000"), "535")
	say(t, smtp, "EHLO me", "250", "AUTH LOGIN", "334", b64("s01"), "334", b64(password), "235",
		"MAIL FROM:<s01@sohu.com>", "250", "RCPT TO:<s02@sina.com>", "250", "DATA", "354",
		"Subject: kept", "", "", "", "hi", "", ".", "250", "QUIT", "221")
	classOf := func(page string) map[string]any {
		req, _ := http.NewRequest("GET", page+"api/class", nil)
		req.Header.Set("Authorization", "Bearer "+tokenIn(t, dir))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return v
	}
	sandboxtest.Eventually(t, 10*time.Second, "s01's grade for 2.1", func() bool {
		return strings.Contains(fmt.Sprint(classOf(first.page)["grades"]), "2.1:map[met:2 of:2 passed:true")
	})
	time.Sleep(500 * time.Millisecond) // the relay's delivery reaches the terminal
	out, _ := first.stop(t)
	for _, want := range []string{"✉1 s01@sohu.com → s02@sina.com \"kept\" ①②③ stored in s02@sina.com's mailbox", "(claimed s02): 535 5.7.8"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "MAIL FROM:<s01@sohu.com>") || strings.Contains(out, "250 2.1.0") {
		t.Errorf("the terminal shows protocol lines in a class:\n%s", out)
	}
	secrets := regexp.MustCompile(`teacher's token: (\w+)|password \(its mailbox, by POP3\): (\d+)`)

	second := startClass(t, dir, offset)
	again := classOf(second.page)
	out2, _ := second.stop(t)
	if a, b := secrets.FindAllString(out, -1), secrets.FindAllString(out2, -1); len(a) != 2 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the token or the postmaster's password changed at the restart: %v, then %v", a, b)
	}
	if !strings.Contains(fmt.Sprint(again["grades"]), "2.1:map[met:2 of:2 passed:true") {
		t.Errorf("the grades after the restart: %v", again["grades"])
	}
	tiles := fmt.Sprint(again["tiles"])
	if !strings.Contains(tiles, "student:s01") || !strings.Contains(tiles, "sent:1") || !strings.Contains(tiles, "failed_logins:1") {
		t.Errorf("the tiles after the restart: %s", tiles)
	}
}

// tokenIn reads the teacher's token kept in a class's --maildir.
func tokenIn(t *testing.T, dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "class-secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ Token string }
	json.Unmarshal(data, &s)
	return s.Token
}
