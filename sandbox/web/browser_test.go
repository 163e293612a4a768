package web

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/sandboxtest"
	"maillab/trace/i18n"
)

// browser starts Debian's chromium, headless, for the page's tests; it
// skips the test, saying why, where chromium or a client is missing.
func browser(t *testing.T, tools ...string) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		path = sandboxtest.NeedTool(t, "chromium")
	}
	for _, tool := range tools {
		sandboxtest.NeedTool(t, tool)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1600, 1000))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// lit reports whether step n of the diagram is lit or done.
func lit(n string) string {
	return `document.getElementById("step-` + n + `").classList.contains("lit") || document.getElementById("step-` + n + `").classList.contains("done")`
}

// TestProjectorPage drives the page in a real browser: a student sends
// with swaks and fetches with curl; the diagram lights steps 1 to 3, then
// 4 to 6; the transcript has notes; the filter hides other students; the
// student's password is masked on the page and shown in the teacher's
// view; a teacher action without the token gets 403.
func TestProjectorPage(t *testing.T) {
	ctx := browser(t, "swaks", "curl")
	sb, page, class := classroom(t, 3)
	s01, s02sina, s03 := class[0], class[3], class[4]
	swaks := func(from, to string, password string) {
		addr, _ := sb.Addr("sohu.com", "SMTP")
		out, err := exec.Command("swaks", "--server", addr, "--auth", "LOGIN", "--auth-user", strings.Split(from, "@")[0],
			"--auth-password", password, "--from", from, "--to", to, "--header", "Subject: from "+from).CombinedOutput()
		if err != nil {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page.URL()),
		chromedp.WaitVisible(chromedp.ID("lines")),
	); err != nil {
		t.Fatal(err)
	}
	swaks(s03.Address(), "bbb@sina.com", s03.Password)
	swaks(s01.Address(), s02sina.Address(), s01.Password)
	poll := func(expr string) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second)))
		return err
	}
	if err := poll(lit("1") + " && " + lit("2") + " && " + lit("3") + ` && document.getElementById("name-mailbox").textContent.includes("s02@sina.com")`); err != nil {
		t.Fatalf("steps 1 to 3 never lit: %v", err)
	}
	pop3, _ := sb.Addr("sina.com", "POP3")
	if out, err := exec.Command("curl", "-s", "pop3://"+pop3+"/1", "-u", "s02:"+s02sina.Password).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if err := poll(lit("4") + " && " + lit("5") + " && " + lit("6")); err != nil {
		t.Fatalf("steps 4 to 6 never lit: %v", err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	artefact := filepath.Join(os.TempDir(), "maillab-page.png")
	os.WriteFile(artefact, shot, 0o644)
	t.Logf("screenshot of the page: %s", artefact)
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("lines")))
	if err != nil {
		t.Fatal(err)
	}
	secret := base64.StdEncoding.EncodeToString([]byte(s01.Password))
	switch {
	case !strings.Contains(text, "MAIL FROM:<s01@sohu.com>") || !strings.Contains(text, "envelope sender"):
		t.Errorf("the transcript lacks lines or notes:\n%s", text)
	case strings.Contains(text, secret) || strings.Contains(text, s01.Password):
		t.Errorf("the page shows s01's password")
	case !strings.Contains(text, "••••••"):
		t.Errorf("no masked login on the page")
	}

	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("filter"), "s01")); err != nil {
		t.Fatal(err)
	}
	if err := poll(`!document.getElementById("lines").textContent.includes("s03")`); err != nil {
		t.Errorf("the filter did not hide s03: %v", err)
	}
	if filtered, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("lines"))); !strings.Contains(filtered, "s01@sohu.com") {
		t.Errorf("the filter hid s01 too:\n%s", filtered)
	}

	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("api/play", {method: "POST"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != 403 {
		t.Errorf("a teacher action without the token: %d", status)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(page.URL()+"teacher.html"),
		chromedp.SendKeys(chromedp.ID("token"), "tok"),
		chromedp.Click(chromedp.ID("save-token")),
		chromedp.Click(`//td[text()="s01@sohu.com"]`),
	); err != nil {
		t.Fatal(err)
	}
	if err := poll(`document.getElementById("lines").textContent.includes("` + secret + `")`); err != nil {
		t.Errorf("the teacher's view does not show s01's login: %v", err)
	}
}

// TestPageMarksTLS: the teacher plays the six steps with STARTTLS from
// the page; the transcript marks encrypted lines C~ and S~ with a lock,
// and shows the handshake and the eavesdropper's view.
func TestPageMarksTLS(t *testing.T) {
	ctx := browser(t)
	ca, err := certs.Open("")
	if err != nil {
		t.Fatal(err)
	}
	_, page, _ := classroom(t, 1, func(c *sandbox.Config) { c.Certs = ca })
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page.URL()),
		chromedp.WaitVisible(chromedp.ID("lines")),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`sessionStorage.setItem("maillab-token", "tok"); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("play-tls"), "starttls"),
		chromedp.Click(chromedp.ID("play")),
	); err != nil {
		t.Fatal(err)
	}
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](
		`[...document.querySelectorAll("#lines li.tls .tag")].some(e => e.textContent === "C~") && document.getElementById("lines").textContent.includes("on the wire")`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("lines")))
		t.Fatalf("no encrypted lines marked: %v\n%s", err, text)
	}
	if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		artefact := filepath.Join(os.TempDir(), "maillab-page-tls.png")
		os.WriteFile(artefact, shot, 0o644)
		t.Logf("screenshot of the page: %s", artefact)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("lines")))
	if !strings.Contains(text, "TLS started") {
		t.Errorf("no handshake line:\n%s", text)
	}
}

// TestPageInChinese: a sandbox started in Chinese serves a Chinese page:
// headings, buttons and the notes of every line; the protocol lines stay
// as they crossed the wire.
func TestPageInChinese(t *testing.T) {
	ctx := browser(t)
	sb, _, _ := classroom(t, 1)
	page, err := Start(Config{Sandbox: sb, Addr: "127.0.0.1:0", Token: "tok", Lang: i18n.New(i18n.Chinese)})
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()), chromedp.WaitVisible(chromedp.ID("lines"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("h1").textContent === "一封电子邮件的旅程" && document.getElementById("play").textContent === "演示六个步骤"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the page is not in Chinese: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`sessionStorage.setItem("maillab-token", "tok"); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("play"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`document.getElementById("lines").textContent.includes("你好，我是“gacl”") && document.getElementById("lines").textContent.includes("EHLO gacl") && document.getElementById("caption").textContent.startsWith("⑥")`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("lines")))
		t.Fatalf("no Chinese notes: %v\n%s", err, text)
	}
	decoded, err := chromedp.Run(ctx, chromedp.Evaluate[string](`decodeWords("=?GBK?B?08q8/rLiytQ=?= =?UTF-8?Q?_=E6=B5=8B?=")`))
	if err != nil || decoded != "邮件测试 测" {
		t.Errorf("the page decodes a subject to %q (%v)", decoded, err)
	}
	caption, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("caption")))
	if !strings.Contains(caption, "POP3 服务器交出邮件") {
		t.Errorf("caption %q", caption)
	}
}
