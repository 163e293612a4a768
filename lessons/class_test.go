package lessons

import (
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"testing"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/roster"
	"maillab/sandbox/web"
)

// classOffset finds a port offset whose ports (and the page's) are free,
// below the ephemeral range.
func classOffset(t *testing.T) int {
	for offset := 1000; offset < 9000; offset += 173 {
		free := true
		for _, port := range []int{2525, 2526, 1110, 1111, 4465, 4466, 1995, 1996, 8025} {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+offset))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return offset
		}
	}
	t.Fatal("no free port offset")
	return 0
}

// TestExercisesOnTheClassSandbox: a student does lessons 4 and 6 on the
// teacher's sandbox with their own account; the checks look at the
// student's own mailbox there, and the teacher's table shows the results.
func TestExercisesOnTheClassSandbox(t *testing.T) {
	offset := classOffset(t)
	world := sandbox.DefaultWorld()
	class, _ := roster.Generate(2, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(class)
	sb, err := sandbox.Start(sandbox.Config{World: world, PortOffset: offset, TapServers: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	page, err := web.Start(web.Config{Sandbox: sb, Addr: "127.0.0.1:" + strconv.Itoa(8025+offset), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
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
	offset := classOffset(t)
	world := sandbox.DefaultWorld()
	class, _ := roster.Generate(1, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(class)
	ca, err := certs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(sandbox.Config{World: world, PortOffset: offset, TapServers: true, Certs: ca, RequireTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	page, err := web.Start(web.Config{Sandbox: sb, Addr: "127.0.0.1:" + strconv.Itoa(8025+offset), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
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
