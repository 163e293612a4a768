package web

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace/proto"
)

// classroom starts a sandbox with n students and its page, on free ports;
// mods change the sandbox's configuration.
func classroom(t testing.TB, n int, mods ...func(*sandbox.Config)) (*sandbox.Sandbox, *Server, []roster.Entry) {
	t.Helper()
	sb, class := classSandbox(t, n, mods...)
	page, err := Start(Config{Sandbox: sb, Addr: "127.0.0.1:0", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { page.Close(); sb.Close() })
	return sb, page, class
}

// classSandbox starts a sandbox with n students (s01.., both domains)
// on free ports; mods change its configuration.
func classSandbox(t testing.TB, n int, mods ...func(*sandbox.Config)) (*sandbox.Sandbox, []roster.Entry) {
	t.Helper()
	world := sandbox.DefaultWorld()
	class, err := roster.Generate(n, []string{"sohu.com", "sina.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := world.AddStudents(class); err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.Config{World: world, RandomPorts: true, TapServers: true, RetryInterval: 50 * time.Millisecond}
	for _, m := range mods {
		m(&cfg)
	}
	sb, err := sandbox.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sb, class
}

// sse reads a page's event stream.
type sse struct {
	resp *http.Response
	r    *bufio.Reader
}

func openStream(t testing.TB, url string, header http.Header) *sse {
	t.Helper()
	return openStreamFrom(t, url, header, nil)
}

// openStreamFrom opens a page's stream from a local address of its own
// (nil: any), as a viewer on another machine does.
func openStreamFrom(t testing.TB, url string, header http.Header, from net.IP) *sse {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	client := http.DefaultClient
	if from != nil {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: from}}
		tr := &http.Transport{DialContext: d.DialContext}
		t.Cleanup(tr.CloseIdleConnections)
		client = &http.Client{Transport: tr}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", url, resp.Status)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sse{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event and its id.
func (s *sse) next() (map[string]any, string, error) {
	var id string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return nil, "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			var e map[string]any
			if err := json.Unmarshal([]byte(line[6:]), &e); err != nil {
				return nil, "", err
			}
			return e, id, nil
		}
	}
}

// until reads events until one satisfies done, returning all read.
func (s *sse) until(t testing.TB, done func(map[string]any) bool) []map[string]any {
	t.Helper()
	var all []map[string]any
	deadline := time.AfterFunc(10*time.Second, func() { s.resp.Body.Close() })
	defer deadline.Stop()
	for {
		e, _, err := s.next()
		if err != nil {
			t.Fatalf("stream ended (%v) after %d events", err, len(all))
		}
		all = append(all, e)
		if done(e) {
			return all
		}
	}
}

// studentDialer dials from a student's own address: 127.0.0.N for sN, as
// a class on many machines does (each address has its fair share).
func studentDialer(e roster.Entry) *net.Dialer {
	n, _ := strconv.Atoi(strings.TrimLeft(e.Account, "s"))
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1+byte(n/250), byte(1+n%250))}, Timeout: 5 * time.Second}
}

// smtpSend logs in as account with AUTH LOGIN and sends a message.
func smtpSend(t testing.TB, sb *sandbox.Sandbox, from roster.Entry, to, subject string) {
	t.Helper()
	addr, _ := sb.Addr(from.Domain, "SMTP")
	c, err := studentDialer(from).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	expect := func(line, want string) {
		if line != "" {
			fmt.Fprintf(c, "%s\r\n", line)
		}
		for {
			l, err := r.ReadString('\n')
			if err != nil || !strings.HasPrefix(l, want) {
				t.Fatalf("%q: want %s, got %q (%v)", line, want, l, err)
			}
			if l[3] != '-' {
				return
			}
		}
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	expect("", "220")
	expect("EHLO student", "250")
	expect("AUTH LOGIN", "334")
	expect(b64(from.Account), "334")
	expect(b64(from.Password), "235")
	expect("MAIL FROM:<"+from.Address()+">", "250")
	expect("RCPT TO:<"+to+">", "250")
	expect("DATA", "354")
	expect("Subject: "+subject+"\r\n\r\nhello\r\n.", "250")
	expect("QUIT", "221")
}

func isStored(e map[string]any) bool { return e["action"] == "stored" }

// TestStudentsLoginsAreMasked: on the shared page a student's AUTH
// answers never appear; the teacher's stream has them.
func TestStudentsLoginsAreMasked(t *testing.T) {
	sb, page, class := classroom(t, 2)
	public := openStream(t, page.URL()+"events", nil)
	private := openStream(t, page.URL()+"teacher/events?token=tok", nil)
	student := class[0] // s01@sohu.com
	smtpSend(t, sb, student, class[3].Address(), "masked")
	secret := base64.StdEncoding.EncodeToString([]byte(student.Password))
	shared := fmt.Sprint(public.until(t, isStored))
	teacher := fmt.Sprint(private.until(t, isStored))
	if strings.Contains(shared, secret) || strings.Contains(shared, student.Password) || !strings.Contains(shared, "••••••") {
		t.Errorf("the shared page shows %s's password", student.Account)
	}
	if !strings.Contains(teacher, secret) {
		t.Errorf("the teacher's view lacks the login")
	}
	if !strings.Contains(shared, "s01@sohu.com") {
		t.Errorf("the shared page does not say whose session it is")
	}
}

// TestPagesEscapeClientText: what a client types reaches neither page
// raw: a terminal escape and a bidirectional override arrive escaped, in
// the line and in the names taken from it.
func TestPagesEscapeClientText(t *testing.T) {
	sb, page, _ := classroom(t, 1)
	public := openStream(t, page.URL()+"events", nil)
	private := openStream(t, page.URL()+"teacher/events?token=tok", nil)
	addr, _ := sb.Addr("sina.com", "SMTP")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "EHLO \x1b]0;PWNED\x07\r\nMAIL FROM:<\u202egnp.exe@sohu.com>\r\nQUIT\r\n")
	io.Copy(io.Discard, c)
	for name, stream := range map[string]*sse{"the projector's": public, "the teacher's": private} {
		seen := fmt.Sprint(stream.until(t, func(e map[string]any) bool { return e["action"] == "closed" }))
		if strings.ContainsAny(seen, "\x1b\x07\u202e") {
			t.Errorf("%s stream carries raw control characters", name)
		}
		if !strings.Contains(seen, `EHLO \x1b]0;PWNED\x07`) || !strings.Contains(seen, `\u202egnp.exe`) {
			t.Errorf("%s stream does not show them escaped:\n%s", name, seen)
		}
	}
}

// TestPasswordsNeverReachTheProjector: the ways a student types a
// password where it does not belong: as AUTH LOGIN's answers in the
// wrong order (the user name unencoded), as a command after a good login,
// after the name in USER. The shared page shows none of it, in no field
// (line, claimed name, verb, tile); the teacher's does.
func TestPasswordsNeverReachTheProjector(t *testing.T) {
	sb, page, roll := classroom(t, 2)
	pw := roll[2].Password // s02's
	public := openStream(t, page.URL()+"events", nil)
	private := openStream(t, page.URL()+"teacher/events?token=tok", nil)
	talk := func(domain string, p proto.Name, lines ...string) {
		addr, _ := sb.Addr(domain, p)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, l := range lines {
			fmt.Fprintf(c, "%s\r\n", l)
			time.Sleep(20 * time.Millisecond)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c)
	}
	talk("sohu.com", "SMTP", "EHLO me", "AUTH LOGIN", "s02", b64(pw), "QUIT")
	talk("sohu.com", "SMTP", "EHLO me", "AUTH PLAIN "+b64("\x00s02\x00"+pw), b64(pw), "QUIT")
	talk("sina.com", "POP3", "USER s02 "+pw, "QUIT")
	shared := fmt.Sprint(public.until(t, func(e map[string]any) bool { return e["action"] == "closed" && e["proto"] == "POP3" }))
	teacher := fmt.Sprint(private.until(t, func(e map[string]any) bool { return e["action"] == "closed" && e["proto"] == "POP3" }))
	for _, secret := range []string{pw, b64(pw), strings.ToUpper(b64(pw))} {
		if strings.Contains(shared, secret) {
			t.Errorf("the shared page shows s02's password (%s):\n%s", secret, shared)
		}
	}
	if !strings.Contains(teacher, pw) {
		t.Errorf("the teacher's view lost what was typed")
	}
	var tiles struct{ Tiles []map[string]any }
	getJSON(t, page.URL()+"api/tiles", &tiles)
	if all := fmt.Sprint(tiles); strings.Contains(all, pw) || strings.Contains(all, strings.ToUpper(b64(pw))) {
		t.Errorf("a tile shows s02's password: %s", all)
	}
}

// TestTeacherActionsNeedTheToken: every teacher endpoint answers 403
// without the token, and works with it.
func TestTeacherActionsNeedTheToken(t *testing.T) {
	sb, page, class := classroom(t, 1)
	for _, ep := range []struct{ method, path, body string }{
		{"GET", "api/class", ""}, {"GET", "teacher/events", ""},
		{"POST", "api/mailbox/empty", `{"account":"all"}`}, {"POST", "api/progress/reset", `{"account":"s01@sohu.com"}`},
		{"POST", "api/fault", `{"account":"s01@sina.com","fault":"smtp.fault-full"}`}, {"POST", "api/play", `{}`},
		{"POST", "api/check", `{"student":"s01","proto":"smtp","addr":"127.0.0.1:1"}`}, {"GET", "api/checks", ""},
	} {
		for _, token := range []string{"", "wrong"} {
			req, _ := http.NewRequest(ep.method, page.URL()+ep.path, strings.NewReader(ep.body))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with token %q: %s", ep.method, ep.path, token, resp.Status)
			}
		}
	}
	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest("POST", page.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post("api/fault", `{"account":"s01@sina.com","fault":"smtp.fault-full"}`); r.StatusCode != 200 {
		t.Fatalf("fault: %s", r.Status)
	}
	private := openStream(t, page.URL()+"teacher/events?token=tok", nil)
	smtpSend(t, sb, class[0], "s01@sina.com", "to a full mailbox")
	events := private.until(t, func(e map[string]any) bool { return e["action"] == "bounced" })
	if !strings.Contains(fmt.Sprint(events), "552 5.2.2") {
		t.Errorf("the injected fault did not reach the relay")
	}
	if r := post("api/play", ``); r.StatusCode != 200 {
		t.Errorf("play: %s", r.Status)
	}
}

// TestPageCatchesUpAfterReconnecting: a page that comes back with its
// Last-Event-ID gets what it missed, and nothing twice.
func TestPageCatchesUpAfterReconnecting(t *testing.T) {
	sb, page, class := classroom(t, 1)
	first := openStream(t, page.URL()+"events", nil)
	smtpSend(t, sb, class[0], "bbb@sina.com", "one")
	first.until(t, isStored)
	_, lastID, _ := first.next()
	for lastID == "" {
		_, lastID, _ = first.next()
	}
	first.resp.Body.Close()
	smtpSend(t, sb, class[0], "bbb@sina.com", "two")
	again := openStream(t, page.URL()+"events", http.Header{"Last-Event-ID": {lastID}})
	e, id, err := again.next()
	if err != nil || id == lastID || id == "" {
		t.Fatalf("after reconnecting: %v %s %v", e, id, err)
	}
	seen := fmt.Sprint(again.until(t, isStored))
	if !strings.Contains(seen, "Subject: two") {
		t.Errorf("the reconnected page missed the second message")
	}
}

// TestNoSelfReportedGrades: nothing a student sends the page marks an
// exercise passed. curl posts what a student's program used to post,
// with the student's right password; the page has no such door, and the
// grade book stays empty.
func TestNoSelfReportedGrades(t *testing.T) {
	curl := sandboxtest.NeedTool(t, "curl")
	_, page, class := classroom(t, 1)
	for _, path := range []string{"api/report", "api/class", "api/grades.csv", "api/tiles"} {
		out, err := exec.Command(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
			"-u", "s01@sohu.com:"+class[0].Password, "-H", "Content-Type: application/json",
			"-d", `{"exercise":"3.1","passed":true}`, page.URL()+path).Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		if code := string(out); code != "404" && code != "405" && code != "403" {
			t.Errorf("POST %s answered %s: a student may not post grades", path, code)
		}
	}
	if grades := page.room.Book().All(); len(grades) != 0 {
		t.Errorf("grades after the posts: %v", grades)
	}
	var view struct{ Tiles []struct{ Passed int } }
	getJSON(t, page.URL()+"api/tiles", &view)
	for _, tile := range view.Tiles {
		if tile.Passed != 0 {
			t.Errorf("a tile shows a pass nobody earned: %+v", view.Tiles)
		}
	}
}

// getJSON fetches a URL's JSON into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

// TestPageIsEmbedded: the page and its assets come from the binary.
func TestPageIsEmbedded(t *testing.T) {
	_, page, _ := classroom(t, 1)
	for _, path := range []string{"", "app.js", "common.js", "style.css", "teacher.html", "teacher.js"} {
		resp, err := http.Get(page.URL() + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, resp.Status)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		resp.Body.Close()
	}
}

// TestCACertificateServed: the page serves the CA's certificate, never
// its key, and says so when TLS is off.
func TestCACertificateServed(t *testing.T) {
	_, page, _ := classroom(t, 1)
	resp, err := http.Get(page.URL() + "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("without TLS, /ca.pem: %s", resp.Status)
	}

	ca, err := certs.Open("")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(sandbox.Config{RandomPorts: true, Certs: ca})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	tlsPage, err := Start(Config{Sandbox: sb, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer tlsPage.Close()
	resp, err = http.Get(tlsPage.URL() + "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(ca.CAPEM()) {
		t.Fatalf("/ca.pem: %s\n%s", resp.Status, body)
	}
	if strings.Contains(string(body), "PRIVATE KEY") {
		t.Fatal("the CA's key is served")
	}
}

// TestViewerLimits: one address may open maxViewersPerAddress event
// streams; the next gets 503 saying why, while another address and the
// teacher's view are served.
func TestViewerLimits(t *testing.T) {
	_, page, _ := classroom(t, 1)
	for range maxViewersPerAddress {
		openStream(t, page.URL()+"events", nil)
	}
	resp, err := http.Get(page.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "close some tabs") {
		t.Errorf("one viewer too many: %s %q", resp.Status, body)
	}
	openStream(t, page.URL()+"teacher/events?token=tok", nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
	other := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	defer other.CloseIdleConnections()
	r2, err := other.Get(page.URL() + "strings.json")
	if err != nil || r2.StatusCode != 200 {
		t.Fatalf("another address: %v %v", err, r2)
	}
	r2.Body.Close()
}

// TestConnectionLimits: idle connections from one address past its share
// are answered 503 and closed at once, and the page still serves.
func TestConnectionLimits(t *testing.T) {
	_, page, _ := classroom(t, 1)
	addr := strings.TrimSuffix(strings.TrimPrefix(page.URL(), "http://"), "/")
	for range maxConnsPerAddress {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(answer), "HTTP/1.1 503") {
		t.Errorf("one connection too many: %q", answer)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9)}}
	other := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	defer other.CloseIdleConnections()
	r, err := other.Get(page.URL() + "teacher.html")
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("the teacher's view from another address: %v %v", err, r)
	}
	r.Body.Close()
}
