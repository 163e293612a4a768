package lessons

import (
	"bytes"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"maillab/lessons/practice"
	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/class"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/sandbox/web"
)

// ports is this package's range of port offsets.
var ports = sandboxtest.Range{First: 1000, Last: 9000, Step: 173}

// classSandbox starts a class sandbox and its page (on the offset's page
// port), graded by the lessons' exercises, all stopped when the test ends.
func classSandbox(t *testing.T, cfg sandbox.Config) (*web.Server, *class.Room) {
	t.Helper()
	sb, err := sandbox.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	all, err := LoadIn("", "en")
	if err != nil {
		t.Fatal(err)
	}
	grader := NewGrader(all, cfg.World)
	room, err := class.Open(cfg.World, class.Options{Book: grader.Book(), Grader: grader})
	if err != nil {
		t.Fatal(err)
	}
	page, err := web.Start(web.Config{Sandbox: sb, Addr: "127.0.0.1:" + strconv.Itoa(8025+cfg.PortOffset), Token: "tok", Room: room})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { page.Close(); room.Close() })
	return page, room
}

// TestExercisesOnTheClassSandbox: a student does lessons 2, 4, 6 and 7
// on the teacher's sandbox with their own account; their exercises are
// graded by what the class sandbox's servers saw: lesson 2's gains a
// login there, lesson 7's demo leaves its message in the student's own
// mailbox, and every session ends with QUIT.
func TestExercisesOnTheClassSandbox(t *testing.T) {
	offset := ports.FreeOffset(t)
	world := sandbox.DefaultWorld()
	roll, _ := roster.Generate(2, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(roll)
	page, room := classSandbox(t, sandbox.Config{World: world, PortOffset: offset, TapServers: true})
	me := practice.Account{User: "s01", Password: roll[0].Password}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	login := "EHLO me\nAUTH LOGIN\n" + b64("s01") + "\n" + b64(me.Password) + "\n"
	inputs := map[int]string{
		2: login + "QUIT\n",
		4: login + "MAIL FROM:<s01@sohu.com>\nRCPT TO:<s01@sina.com>\n",
		6: login + "MAIL FROM:<s01@sohu.com>\nRCPT TO:<s01@sina.com>\nDATA\nSubject: relayed\n\nhi\n.\nQUIT\n",
		7: "USER s01\nPASS " + me.Password + "\nRETR 1\n",
	}
	for _, n := range []int{2, 4, 6, 7} {
		var out bytes.Buffer
		r := &Runner{In: strings.NewReader(inputs[n]), Out: &out, ErrOut: &out,
			Class: &Class{Server: "127.0.0.1", PortOffset: offset, Account: me, Page: page.URL()}}
		passed, err := r.Run(context.Background(), lessonNumbered(t, n))
		if err != nil || !passed {
			t.Fatalf("lesson %d on the class sandbox: %v\n%s", n, err, out.String())
		}
		if !strings.Contains(out.String(), "s01@") {
			t.Errorf("lesson %d: the goal was not the student's:\n%s", n, out.String())
		}
	}
	for _, id := range []string{"2.1", "3.1", "4.1", "6.1", "7.1"} {
		sandboxtest.Eventually(t, 5*time.Second, "exercise "+id+" graded passed", func() bool {
			g, ok := room.Book().Grade("s01", id)
			return ok && g.Passed
		})
	}
	if grades := room.Book().All(); len(grades["s02"]) != 0 {
		t.Errorf("s02 did nothing and has grades: %v", grades["s02"])
	}
	sandboxtest.Eventually(t, 5*time.Second, "every session said QUIT", func() bool {
		for _, tile := range room.Tiles(false) {
			if tile.Student == "s01" {
				return tile.Online == 0 && tile.Passed == 5 // 3.1 too: lesson 4's login meets its checks
			}
		}
		return false
	})
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
	page, _ := classSandbox(t, sandbox.Config{World: world, PortOffset: offset, TapServers: true, Certs: ca, RequireTLS: true})
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
