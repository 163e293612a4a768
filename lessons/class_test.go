package lessons

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/sandbox/web"
)

// ports is this package's range of port offsets.
var ports = sandboxtest.Range{First: 1000, Last: 9000, Step: 173}

// classSandbox starts a class sandbox and its page (on the offset's page
// port), both stopped when the test ends.
func classSandbox(t *testing.T, cfg sandbox.Config) *web.Server {
	t.Helper()
	sb, err := sandbox.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	page, err := web.Start(web.Config{Sandbox: sb, Addr: "127.0.0.1:" + strconv.Itoa(8025+cfg.PortOffset), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { page.Close() })
	return page
}

// TestExercisesOnTheClassSandbox: a student does lessons 4 and 6 on the
// teacher's sandbox with their own account; the checks look at the
// student's own mailbox there, and the teacher's table shows the results.
func TestExercisesOnTheClassSandbox(t *testing.T) {
	offset := ports.FreeOffset(t)
	world := sandbox.DefaultWorld()
	class, _ := roster.Generate(2, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(class)
	page := classSandbox(t, sandbox.Config{World: world, PortOffset: offset, TapServers: true})
	me := practice.Account{User: "s01", Password: class[0].Password}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	login := "EHLO me\nAUTH LOGIN\n" + b64("s01") + "\n" + b64(me.Password) + "\n"
	for n, input := range map[int]string{
		4: login + "MAIL FROM:<s01@sohu.com>\nRCPT TO:<s01@sina.com>\n",
		6: login + "MAIL FROM:<s01@sohu.com>\nRCPT TO:<s01@sina.com>\nDATA\nSubject: relayed\n\nhi\n.\nQUIT\n",
	} {
		var out bytes.Buffer
		r := &Runner{In: strings.NewReader(input), Out: &out, ErrOut: &out,
			Class: &Class{Server: "127.0.0.1", PortOffset: offset, Account: me, Page: page.URL()}}
		passed, err := r.Run(context.Background(), lessonNumbered(t, n))
		if err != nil || !passed {
			t.Fatalf("lesson %d on the class sandbox: %v\n%s", n, err, out.String())
		}
		if !strings.Contains(out.String(), "s01@sina.com") || strings.Contains(out.String(), "could not tell") {
			t.Errorf("lesson %d: the goal was not the student's, or the report failed:\n%s", n, out.String())
		}
	}
	resp, err := page.Table()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp, `"account":"s01@sohu.com"`) || !strings.Contains(resp, `"passed":["lesson 4","lesson 6"]`) {
		t.Errorf("the teacher's table: %s", resp)
	}
}

// TestTLSOnAStrictClassSandbox: on a class sandbox with TLS required,
// lesson 9's exercises pass with the student's account (the class CA is
// fetched from the page), and lesson 6's delivered check reads the
// student's mailbox through STLS.
func TestTLSOnAStrictClassSandbox(t *testing.T) {
	offset := ports.FreeOffset(t)
	world := sandbox.DefaultWorld()
	class, _ := roster.Generate(1, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(class)
	ca, err := certs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	page := classSandbox(t, sandbox.Config{World: world, PortOffset: offset, TapServers: true, Certs: ca, RequireTLS: true})
	pw := class[0].Password
	me := practice.Account{User: "s01", Password: pw}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00s01\x00" + pw))
	inputs := map[int]string{
		9: "EHLO me\nSTARTTLS\nEHLO me\nAUTH PLAIN " + plain + "\n" +
			"STLS\nUSER s01\nPASS " + pw + "\nSTAT\nQUIT\n" +
			"USER s01\nPASS " + pw + "\nLIST\n",
		6: "EHLO me\nSTARTTLS\nEHLO me\nAUTH PLAIN " + plain + "\nMAIL FROM:<s01@sohu.com>\nRCPT TO:<s01@sina.com>\nDATA\nSubject: relayed\n\nhi\n.\nQUIT\n",
	}
	for _, n := range []int{9, 6} {
		var out bytes.Buffer
		r := &Runner{In: strings.NewReader(inputs[n]), Out: &out, ErrOut: &out,
			Class: &Class{Server: "127.0.0.1", PortOffset: offset, Account: me, Page: page.URL()}}
		passed, err := r.Run(context.Background(), lessonNumbered(t, n))
		if err != nil || !passed {
			t.Fatalf("lesson %d on a strict class sandbox: %v\n%s", n, err, out.String())
		}
		if !strings.Contains(out.String(), "trusting the class sandbox's CA") {
			t.Errorf("lesson %d: the class CA was not fetched:\n%s", n, out.String())
		}
	}
}
