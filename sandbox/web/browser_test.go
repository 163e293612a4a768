package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"maillab/lessons"
	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/class"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace/i18n"
)

// browser starts Debian's chromium, headless, for the page's tests, with
// a window of w×h; it skips the test, saying why, where chromium or a
// client is missing.
func browser(t testing.TB, w, h int, tools ...string) context.Context {
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
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// gradedClassroom is classroom with the lessons' grader behind the page,
// in the page's language.
func gradedClassroom(t *testing.T, n int, lang *i18n.Printer, mods ...func(*sandbox.Config)) (*sandbox.Sandbox, *Server, []roster.Entry) {
	t.Helper()
	sb, roll := classSandbox(t, n, mods...)
	world := sb.World()
	all, err := lessons.LoadIn("", i18n.Or(lang).Code())
	if err != nil {
		t.Fatal(err)
	}
	grader := lessons.NewGrader(all, world)
	room, _ := class.Open(world, class.Options{Book: grader.Book(), Grader: grader})
	page, err := Start(Config{Sandbox: sb, Addr: "127.0.0.1:0", Token: "tok", Lang: lang, Room: room})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { page.Close(); room.Close(); sb.Close() })
	return sb, page, roll
}

// poll waits for a condition in the page.
func poll(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 3000)`))
		t.Fatalf("%s: %v\nthe page says:\n%s", what, err, text)
	}
}

// eval runs an expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// screenshot keeps what the browser shows, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	if shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		file := filepath.Join(os.TempDir(), name)
		os.WriteFile(file, shot, 0o644)
		t.Logf("screenshot: %s", file)
	}
}

// lit reports whether step n of the diagram is lit or done.
func lit(n string) string {
	return `(document.getElementById("step-` + n + `").classList.contains("lit") || document.getElementById("step-` + n + `").classList.contains("done"))`
}

func entry(roll []roster.Entry, address string) roster.Entry {
	for _, e := range roll {
		if e.Address() == address {
			return e
		}
	}
	return roster.Entry{}
}

// TestProjectorPage drives the page in a real browser: students send with
// swaks and fetch with curl; live, the diagram follows a message through
// steps 1 to 6, each line says whose session and which message it is, a
// refused command is red, the filter hides other students, passwords are
// masked; choosing a message tells it alone; the tiles show each student;
// nothing on the page asks for the teacher's token.
func TestProjectorPage(t *testing.T) {
	ctx := browser(t, 1280, 720, "swaks", "curl")
	sb, page, roll := gradedClassroom(t, 3, nil)
	s01, s02, s03 := entry(roll, "s01@sohu.com"), entry(roll, "s02@sina.com"), entry(roll, "s03@sohu.com")
	swaks := func(from roster.Entry, to string) {
		addr, _ := sb.Addr("sohu.com", "SMTP")
		out, err := exec.Command("swaks", "--server", addr, "--auth", "LOGIN", "--auth-user", from.Account,
			"--auth-password", from.Password, "--from", from.Address(), "--to", to, "--header", "Subject: from "+from.Address()).CombinedOutput()
		if err != nil {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()), chromedp.WaitVisible(chromedp.ID("lines"))); err != nil {
		t.Fatal(err)
	}
	swaks(s03, "bbb@sina.com")
	swaks(s01, s02.Address())
	poll(t, ctx, "steps 1 to 3", lit("1")+" && "+lit("3")+` && document.getElementById("box-mailbox").textContent.replace(/\u200b/g, "").includes("@sina.com")`)
	pop3, _ := sb.Addr("sina.com", "POP3")
	if out, err := exec.Command("curl", "-s", "pop3://"+pop3+"/1", "-u", "s02:"+s02.Password).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	poll(t, ctx, "steps 4 to 6", lit("4")+" && "+lit("5")+" && "+lit("6"))
	addr, _ := sb.Addr("sohu.com", "SMTP")
	exec.Command("swaks", "--server", addr, "--auth", "LOGIN", "--auth-user", "s03", "--auth-password", "000000", "--quit-after", "AUTH").Run()
	poll(t, ctx, "a refused login shown red", `[...document.querySelectorAll("#lines li.error")].some((li) => li.textContent.includes("535") && getComputedStyle(li.querySelector(".text")).color === getComputedStyle(document.body).getPropertyValue("--error").trim().replace(/^#(..)(..)(..)$/, (m, r, g, b) => "rgb(" + [r, g, b].map((h) => parseInt(h, 16)).join(", ") + ")"))`)
	screenshot(t, ctx, "maillab-page.png")

	text := eval[string](t, ctx, `document.getElementById("lines").textContent`)
	secret := base64.StdEncoding.EncodeToString([]byte(s01.Password))
	switch {
	case !strings.Contains(text, "MAIL FROM:<s01@sohu.com>") || !strings.Contains(text, "envelope sender"):
		t.Errorf("the transcript lacks lines or notes:\n%s", text)
	case strings.Contains(text, secret) || strings.Contains(text, s01.Password):
		t.Errorf("the page shows s01's password")
	case !strings.Contains(text, "••••••"):
		t.Errorf("no masked login on the page")
	case !strings.Contains(text, "s01@sohu.com ✉"):
		t.Errorf("lines do not say whose session and which message they are:\n%s", text)
	}
	lanes := eval[string](t, ctx, `document.getElementById("lanes").textContent`)
	if !strings.Contains(lanes, "s01@sohu.com → s02@sina.com") || !strings.Contains(lanes, "retrieved") {
		t.Errorf("the list of messages: %s", lanes)
	}

	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("filter"), "s01")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the filter hides s03", `!document.getElementById("lines").textContent.includes("s03") && document.getElementById("lines").textContent.includes("s01@sohu.com")`)
	eval[bool](t, ctx, `(() => { const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input")); return true; })()`)
	eval[bool](t, ctx, `[...document.querySelectorAll(".lane")].find((li) => li.textContent.includes("s01@sohu.com → s02@sina.com")).click() || true`)
	poll(t, ctx, "a chosen message tells only itself", `document.body.classList.contains("chosen") && document.getElementById("lines").textContent.includes("s01@sohu.com") && !document.getElementById("lines").textContent.includes("s03@sohu.com")`)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("view-class"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "a tile per student", `document.querySelectorAll(".tile").length === 3 && document.getElementById("tiles").textContent.includes("s03")`)
	if shown := eval[bool](t, ctx, `document.querySelector(".tile.erred") !== null`); shown {
		t.Errorf("the projector shows s03's refused login: anyone can type s03, so only the teacher sees it")
	}
	tiles := eval[string](t, ctx, `document.getElementById("tiles").textContent`)
	if strings.Contains(tiles, "127.0.0.") {
		t.Errorf("the projector's tiles show where a claimed login came from: %s", tiles)
	}
	if prompts := eval[bool](t, ctx, `document.body.innerHTML.includes("prompt(") || typeof token === "function"`); prompts {
		t.Errorf("the projector page has a way to ask for the token")
	}
	for _, asset := range []string{"app.js", "common.js", "model.js", "diagram.js", "index.html"} {
		data, _ := assets.ReadFile("assets/" + asset)
		if strings.Contains(string(data), "prompt(") || strings.Contains(string(data), "api/play") {
			t.Errorf("%s asks for the token or plays: the projector must not", asset)
		}
	}
}

// TestNarration: the teacher plays the six steps from the teacher's view;
// the projector tells that message stage by stage (a replay of the
// recorded lines); Step and Back then move one stage with all its lines.
func TestNarration(t *testing.T) {
	ctx := browser(t, 1280, 720)
	_, page, _ := gradedClassroom(t, 1, nil)
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()), chromedp.WaitVisible(chromedp.ID("lines"))); err != nil {
		t.Fatal(err)
	}
	teacherTab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	if err := chromedp.Do(teacherTab, chromedp.Navigate(page.URL()+"teacher.html#token=tok"), chromedp.WaitVisible(chromedp.ID("rows"))); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, teacherTab, `location.hash`); got != "" {
		t.Errorf("the token stayed in the address: %q", got)
	}
	if err := chromedp.Do(teacherTab, chromedp.Click(chromedp.ID("play"))); err != nil {
		t.Fatal(err)
	}
	poll(t, teacherTab, "the teacher is told in words", `document.getElementById("status").textContent.includes("delivered and fetched")`)
	poll(t, ctx, "the projector narrates", `document.body.classList.contains("replaying") && document.getElementById("status").textContent.startsWith("replaying ✉")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("stop"))); err != nil {
		t.Fatal(err)
	}
	stages := func() string {
		return eval[string](t, ctx, `[...new Set([...document.querySelectorAll("#lines li.line")].map((li) => li.dataset.step))].join(",")`)
	}
	// Stop shows the whole message; Back and Step move one stage.
	if got := stages(); got != "1,2,3,4,5,6" {
		t.Errorf("after Stop, the stages shown: %s", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("back")), chromedp.Click(chromedp.ID("back"))); err != nil {
		t.Fatal(err)
	}
	if got := stages(); got != "1,2,3,4" {
		t.Errorf("after Back twice: %s", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("caption").textContent`); !strings.HasPrefix(got, "④") {
		t.Errorf("the caption at stage 4: %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("step"))); err != nil {
		t.Fatal(err)
	}
	if got := stages(); got != "1,2,3,4,5" {
		t.Errorf("after Step: %s", got)
	}
	if lit := eval[bool](t, ctx, `document.getElementById("step-5").classList.contains("lit") && document.getElementById("step-4").classList.contains("done") && !document.getElementById("step-6").classList.contains("done")`); !lit {
		t.Errorf("the diagram does not show stage 5 of the message")
	}
	screenshot(t, ctx, "maillab-page-narration.png")
}

// TestTeacherView: the teacher's view shows a line per student with the
// last error in red and stuck students flagged; a click opens the
// student's lines, failed logins included; grades come from the servers
// (a ✓ for what a session did); emptying asks first and answers in words;
// armed faults are listed and can be cancelled.
func TestTeacherView(t *testing.T) {
	ctx := browser(t, 1280, 720)
	sb, page, roll := gradedClassroom(t, 2, nil)
	s01 := entry(roll, "s01@sohu.com")
	smtpSend(t, sb, s01, "s02@sina.com", "hello") // passes 2.1 (EHLO, QUIT) and 3.1 (the login)
	addr, _ := sb.Addr("sohu.com", "SMTP")
	// a refused login claiming s02 (the teacher sees it, the room does not),
	// then s02 logged in, refused three times: stuck
	exec.Command("swaks", "--server", addr, "--auth", "LOGIN", "--auth-user", "s02", "--auth-password", "000000", "--quit-after", "AUTH").Run()
	s02 := entry(roll, "s02@sohu.com")
	c := dialFrom(t, sb, 2, "sohu.com", "SMTP")
	c.say("", "220")
	c.say("EHLO me", "250")
	c.say("AUTH PLAIN "+b64("\x00s02\x00"+s02.Password), "235")
	c.say("MAIL FROM:<s02@sohu.com>", "250")
	for range 3 {
		c.say("RCPT TO:<someone@example.org>", "550")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()+"teacher.html#token=tok")); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "s02 stuck, its last error red", `[...document.querySelectorAll("#rows tr")].some((tr) => tr.classList.contains("stuck") && tr.textContent.includes("s02") && tr.querySelector(".last-error").textContent.includes("550"))`)
	eval[bool](t, ctx, `[...document.querySelectorAll("#rows tr")].find((tr) => tr.firstChild.textContent.startsWith("s02")).click() || true`)
	poll(t, ctx, "s02's failed logins in the panel", `document.getElementById("lines").textContent.includes("535") && document.getElementById("lines").textContent.includes("s02?")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("drill-close")), chromedp.Click(chromedp.ID("tab-grades"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "s01's grades", `(() => { const row = [...document.querySelectorAll("#grades-rows tr")].find((tr) => tr.firstChild.textContent === "s01"); const heads = [...document.querySelectorAll("#grades-head th")].map((th) => th.textContent); return row && row.children[heads.indexOf("2.1")].textContent === "✓" && row.children[heads.indexOf("3.1")].textContent === "✓" && row.children[heads.indexOf("8.1")].classList.contains("self"); })()`)
	csv := eval[string](t, ctx, `fetch("api/grades.csv?sheet=summary", {headers: {Authorization: "Bearer tok"}}).then((r) => r.text())`)
	if !strings.Contains(csv, "s01,2,0,") {
		t.Errorf("the summary sheet: %q", csv)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("empty-all"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "a question before emptying", `!document.getElementById("confirm").hidden && document.getElementById("confirm-text").textContent.includes("Every message in them is deleted")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("confirm-yes"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "an answer in words", `/^emptied 4 mailboxes: 1 message deleted/.test(document.getElementById("status").textContent)`)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-faults")),
		chromedp.SendKeys(chromedp.ID("fault-account"), "s01@sina.com"), chromedp.Click(chromedp.ID("inject"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the armed fault listed", `document.getElementById("faults").textContent.includes("s01@sina.com") && document.getElementById("faults").textContent.includes("450 4.2.0")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#faults button`))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the fault cancelled", `document.getElementById("faults").children.length === 0 && document.getElementById("status").textContent.includes("cancelled the fault waiting for s01@sina.com")`)
	if n := len(sb.Faults()); n != 0 {
		t.Errorf("%d faults still armed", n)
	}
	screenshot(t, ctx, "maillab-teacher.png")

	// a student's server, graded by maillab check from the Servers tab
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("tab-servers")),
		chromedp.SendKeys(chromedp.ID("check-student"), "s01"), chromedp.SendKeys(chromedp.ID("check-addr"), addr),
		chromedp.SendKeys(chromedp.ID("check-user"), "s01"), chromedp.SendKeys(chromedp.ID("check-password"), s01.Password),
		chromedp.Click(chromedp.ID("check-run"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "s01's server checked and passed", `[...document.querySelectorAll("#server-rows tr")].some((tr) => tr.textContent.includes("s01") && tr.children[3].textContent === "passed" && /^(\d+)\/\1$/.test(tr.children[4].textContent))`)
	screenshot(t, ctx, "maillab-teacher-servers.png")
}

// TestPageMarksTLS: the six steps with STARTTLS; the projector marks the
// encrypted lines C~ and S~ and shows the handshake and the
// eavesdropper's view.
func TestPageMarksTLS(t *testing.T) {
	ctx := browser(t, 1280, 720)
	ca, err := certs.Open("")
	if err != nil {
		t.Fatal(err)
	}
	_, page, _ := gradedClassroom(t, 1, nil, func(c *sandbox.Config) { c.Certs = ca })
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()), chromedp.WaitVisible(chromedp.ID("lines"))); err != nil {
		t.Fatal(err)
	}
	teacherPost(t, page, "api/play", `{"tls":"starttls"}`)
	poll(t, ctx, "the narration", `document.body.classList.contains("replaying")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("stop"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "encrypted lines marked", `[...document.querySelectorAll("#lines li.tls .tag")].some(e => e.textContent === "C~") && document.getElementById("lines").textContent.includes("on the wire")`)
	if text := eval[string](t, ctx, `document.getElementById("lines").textContent`); !strings.Contains(text, "TLS started") {
		t.Errorf("no handshake line:\n%s", text)
	}
}

// TestPageInChinese: a sandbox started in Chinese serves Chinese pages:
// headings, buttons, the narration's captions, the tiles' words and the
// notes of every line; the protocol lines stay as they crossed the wire.
func TestPageInChinese(t *testing.T) {
	ctx := browser(t, 1280, 720)
	_, page, _ := gradedClassroom(t, 1, i18n.New(i18n.Chinese))
	if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()), chromedp.WaitVisible(chromedp.ID("lines"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the page in Chinese", `document.querySelector("h1").textContent === "一封电子邮件的旅程" && document.getElementById("step").textContent === "下一步 ▶" && document.getElementById("view-class").textContent === "全班"`)
	teacherPost(t, page, "api/play", `{}`)
	poll(t, ctx, "Chinese notes and captions", `document.getElementById("lines").textContent.includes("你好，我来自“[127.0.0.1]”") && document.getElementById("lines").textContent.includes("EHLO [127.0.0.1]") && document.getElementById("caption").textContent.startsWith("①")`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("stop"))); err != nil {
		t.Fatal(err)
	}
	if caption := eval[string](t, ctx, `document.getElementById("caption").textContent`); !strings.Contains(caption, "POP3 服务器交出邮件") {
		t.Errorf("caption %q", caption)
	}
	decoded := eval[string](t, ctx, `decodeWords("=?GBK?B?08q8/rLiytQ=?= =?UTF-8?Q?_=E6=B5=8B?=")`)
	if decoded != "邮件测试 测" {
		t.Errorf("the page decodes a subject to %q", decoded)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("view-class"))); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the tiles in Chinese", `document.getElementById("tiles").textContent.includes("尚未出现") && document.querySelector("#class h2").textContent.startsWith("全班一览")`)
}

// teacherPost calls a teacher's action with the token.
func teacherPost(t *testing.T, page *Server, path, body string) string {
	t.Helper()
	out, err := exec.Command("curl", "-s", "-f", "-X", "POST", "-H", "Authorization: Bearer tok", "-d", body, page.URL()+path).CombinedOutput()
	if err != nil {
		t.Fatalf("POST %s: %v %s", path, err, out)
	}
	return string(out)
}

// audit is what the layout test asks of a page: every label and cell
// that must be read whole fits its box (no overflow), the diagram's
// labels are at least 18 px and inside their boxes.
const audit = `(() => {
  const bad = [];
  const shown = (x) => x.offsetParent !== null && getComputedStyle(x).visibility !== "hidden";
  for (const x of document.querySelectorAll(".fit, .box .label, th, .tile-name, h1, h2, button, .envelope dd, .caption")) {
    if (!shown(x)) continue;
    if (x.scrollWidth > x.clientWidth + 1 || x.scrollHeight > x.clientHeight + 1) bad.push("overflows: " + x.textContent.trim().slice(0, 60) + " (" + x.scrollWidth + "x" + x.scrollHeight + " in " + x.clientWidth + "x" + x.clientHeight + ")");
  }
  for (const label of document.querySelectorAll(".box .label")) {
    if (!shown(label)) continue;
    const b = label.parentElement.getBoundingClientRect(), r = label.getBoundingClientRect();
    if (r.left < b.left || r.right > b.right || r.top < b.top || r.bottom > b.bottom) bad.push("outside its box: " + label.textContent);
    if (parseFloat(getComputedStyle(label).fontSize) < 18) bad.push("smaller than 18px: " + label.textContent);
    if (r.bottom > innerHeight) bad.push("below the screen: " + label.textContent);
  }
  if (document.documentElement.scrollWidth > innerWidth + 1) bad.push("the page scrolls sideways");
  let beyond = 0;
  for (const x of document.querySelectorAll("body *")) {
    if (!shown(x) || beyond > 5) continue;
    const r = x.getBoundingClientRect();
    if (r.width > 0 && r.right > innerWidth + 1) { beyond++; bad.push("beyond the right edge: " + x.tagName + "." + x.className + " " + x.textContent.trim().slice(0, 40) + " (to " + Math.round(r.right) + " px)"); }
  }
  return bad;
})()`

// TestLayoutOnTheProjector: both pages at 1280x720 and 1920x1080, in
// English and Chinese, with a class of 30 at work and long names in the
// diagram: nothing that must be read whole overflows, the diagram's labels
// are 18 px or more and inside their boxes, the teacher's table has one
// line per student and shows at least 15 of them at 1280x720.
func TestLayoutOnTheProjector(t *testing.T) {
	if out, _ := exec.Command("fc-list", ":lang=zh").Output(); len(out) == 0 {
		sandboxtest.Unavailable(t, "no Chinese font (Debian's fonts-noto-cjk): the Chinese pages cannot be measured")
	}
	for _, lang := range []*i18n.Printer{nil, i18n.New(i18n.Chinese)} {
		sb, page, roll := gradedClassroom(t, 30, lang)
		g := sandboxtest.NewGroup(t)
		for i, e := range roll {
			if e.Domain != "sohu.com" {
				continue
			}
			g.Go(func(t testing.TB) {
				smtpSend(t, sb, e, roll[(i+2)%len(roll)].Address(), fmt.Sprintf("a long subject line from %s, number %d, to see how it wraps", e.Account, i))
			})
		}
		g.Wait()
		teacherPost(t, page, "api/play", `{"from":"postmaster@sohu.com","to":"postmaster@sohu.com"}`)
		for _, size := range [][2]int{{1280, 720}, {1920, 1080}} {
			name := fmt.Sprintf("%s-%dx%d", i18n.Or(lang).Code(), size[0], size[1])
			t.Run(name, func(t *testing.T) {
				ctx := browser(t, size[0], size[1])
				if err := chromedp.Do(ctx, chromedp.Navigate(page.URL())); err != nil {
					t.Fatal(err)
				}
				poll(t, ctx, "the postmaster's journey on the diagram", `document.querySelectorAll(".lane").length >= 10 && document.querySelector(".lane").textContent.includes("postmaster")`)
				eval[bool](t, ctx, `[...document.querySelectorAll(".lane")].find((li) => li.textContent.includes("postmaster@sohu.com → postmaster@sohu.com")).click() || true`)
				poll(t, ctx, "the long mailbox name", `document.getElementById("box-mailbox").textContent.replace(/\u200b/g, "").includes("postmaster@sohu.com") || (document.getElementById("step").click(), false)`)
				for _, view := range []string{"journey", "class"} {
					if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("view-"+view))); err != nil {
						t.Fatal(err)
					}
					if view == "class" {
						poll(t, ctx, "the tiles", `document.querySelectorAll(".tile").length === 30`)
					}
					for _, problem := range eval[[]string](t, ctx, audit) {
						t.Errorf("projector, %s view: %s", view, problem)
					}
					screenshot(t, ctx, "maillab-layout-"+name+"-"+view+".png")
				}
				if err := chromedp.Do(ctx, chromedp.Navigate(page.URL()+"teacher.html#token=tok")); err != nil {
					t.Fatal(err)
				}
				poll(t, ctx, "the class table", `document.querySelectorAll("#rows tr").length === 30`)
				for _, problem := range eval[[]string](t, ctx, audit) {
					t.Errorf("teacher's view: %s", problem)
				}
				rows := eval[[]float64](t, ctx, `[...document.querySelectorAll("#rows tr")].map((tr) => tr.getBoundingClientRect().bottom)`)
				height := eval[float64](t, ctx, `document.querySelector("#rows tr").getBoundingClientRect().height`)
				lineHeight := eval[float64](t, ctx, `parseFloat(getComputedStyle(document.querySelector("#rows td")).fontSize) * 2.2`)
				visible := 0
				for _, bottom := range rows {
					if bottom <= float64(size[1])-30 {
						visible++
					}
				}
				if height > lineHeight {
					t.Errorf("a student's line is %.0f px high: more than one line", height)
				}
				if size[0] == 1280 && visible < 15 {
					t.Errorf("%d students visible at 1280x720, want at least 15", visible)
				}
				screenshot(t, ctx, "maillab-layout-"+name+"-teacher.png")
			})
		}
	}
}
