package lessons

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/class"
	"maillab/sandbox/client"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// gradedClass starts a class sandbox of n students with TLS, graded by
// the lessons' exercises.
func gradedClass(t *testing.T, n int) (*sandbox.Sandbox, *class.Room, []roster.Entry) {
	t.Helper()
	world := sandbox.DefaultWorld()
	roll, _ := roster.Generate(n, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(roll)
	ca, err := certs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(sandbox.Config{World: world, RandomPorts: true, TapServers: true, Certs: ca})
	if err != nil {
		t.Fatal(err)
	}
	all, err := LoadIn("", "en")
	if err != nil {
		t.Fatal(err)
	}
	grader := NewGrader(all, world)
	room, _ := class.Open(world, class.Options{Book: grader.Book(), Grader: grader})
	q := sb.Events.SubscribeQueued("the grader", 1<<14, room.Observe, nil)
	t.Cleanup(func() { sb.Close(); q.Close(time.Second) })
	return sb, room, roll
}

// session types lines at a server of the class sandbox and ends with QUIT.
func session(t *testing.T, sb *sandbox.Sandbox, domain, protocol string, lines ...string) {
	t.Helper()
	addr, _ := sb.Addr(domain, trace.SMTP)
	if protocol == "pop3" {
		addr, _ = sb.Addr(domain, trace.POP3)
	}
	s, _, err := client.Dial(context.Background(), client.Config{Proto: protocol, Addr: addr,
		TLS: &client.TLS{Config: sb.Certs().ClientConfig(strings.ToLower(protocol) + "." + domain)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		if _, err := s.Send(line); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
	}
	s.Quit()
}

// entryOf finds an account of a roster.
func entryOf(roll []roster.Entry, address string) roster.Entry {
	for _, e := range roll {
		if e.Address() == address {
			return e
		}
	}
	return roster.Entry{}
}

func smtpLogin(e roster.Entry) []string {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return []string{"EHLO me", "AUTH LOGIN", b(e.Account), b(e.Password)}
}

// settle waits for the sandbox's events to reach the grader: a session
// the test opens last has closed.
func settle(t *testing.T, room *class.Room, student string, sessions int) {
	t.Helper()
	sandboxtest.Eventually(t, 5*time.Second, "the sessions graded", func() bool {
		for _, tile := range room.Tiles(false) {
			if tile.Student == student {
				return tile.Sessions >= sessions && tile.Online == 0
			}
		}
		return false
	})
}

// TestGradedByWhatServersSaw: grades come from the servers' view of
// logged-in sessions. A refused login and an anonymous session grade
// nobody; a try that falls short counts against the exercise the student
// is on at that server, and against no later one; a login before
// STARTTLS does not count inside it; mail a classmate sends to a
// student's mailbox is not the student's work.
func TestGradedByWhatServersSaw(t *testing.T) {
	sb, room, roll := gradedClass(t, 2)
	s01, s02 := entryOf(roll, "s01@sohu.com"), entryOf(roll, "s02@sohu.com")
	// nobody: a guessed password, an anonymous EHLO and QUIT
	session(t, sb, "sohu.com", "smtp", "EHLO me", "AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00s02\x00000000")))
	session(t, sb, "sohu.com", "smtp", "EHLO me")
	// s01: passes 2.1 (EHLO, QUIT) and 3.1 (the login)
	session(t, sb, "sohu.com", "smtp", smtpLogin(s01)...)
	// s01: a login, then STARTTLS and no login inside it: 9.1 not passed
	session(t, sb, "sohu.com", "smtp", append(smtpLogin(s01), "STARTTLS", "EHLO me")...)
	// s01: a recipient refused: a failed try of 4.1, the first not passed at smtp.sohu.com
	session(t, sb, "sohu.com", "smtp", append(smtpLogin(s01), "MAIL FROM:<s01@sohu.com>", "RCPT TO:<s01@example.org>")...)
	// s02 sends s01 the subject of 6.1: not s01's work, nor s02's exercise
	session(t, sb, "sohu.com", "smtp", append(smtpLogin(s02), "MAIL FROM:<s02@sohu.com>", "RCPT TO:<s01@sina.com>", "DATA", "Subject: relayed", "", "hi", ".")...)
	settle(t, room, "s01", 3)
	settle(t, room, "s02", 1)
	time.Sleep(200 * time.Millisecond) // the relay's delivery, which credits nobody
	grades := room.Book().All()
	want := map[string]string{"2.1": "passed", "3.1": "passed", "4.1": "failed", "6.1": "not tried", "9.1": "not tried"}
	for id, result := range want {
		g, ok := grades["s01"][id]
		if got := class.Result(class.Exercise{Graded: true}, g, ok); got != result {
			t.Errorf("s01, exercise %s: %s, want %s (%+v)", id, got, result, g)
		}
	}
	if g := grades["s02"]["6.1"]; g.Passed {
		t.Errorf("s02 passed 6.1 by mailing s01: %+v", g)
	}
	for _, tile := range room.Tiles(false) {
		if tile.Student == "s02" && tile.Sessions != 1 {
			t.Errorf("s02's guessed login counted as a session: %+v", tile)
		}
	}
}

// TestGradedInsideTLS: lesson 9's first exercise passes when the login
// comes after STARTTLS.
func TestGradedInsideTLS(t *testing.T) {
	sb, room, roll := gradedClass(t, 1)
	s01 := entryOf(roll, "s01@sohu.com")
	plain := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00s01\x00"+s01.Password))
	session(t, sb, "sohu.com", "smtp", "EHLO me", "STARTTLS", "EHLO me", plain)
	settle(t, room, "s01", 1)
	if g, _ := room.Book().Grade("s01", "9.1"); !g.Passed {
		t.Errorf("9.1 after STARTTLS and a login inside it: %+v", g)
	}
}

// TestExercisesDoneWhereTheySay: an exercise is passed only where it is
// done: 6.1 is a relay through smtp.sohu.com (the same message handed to
// smtp.sina.com directly relays nothing), 9.3 is on the POP3S port (STLS
// on the POP3 port is 9.2's).
func TestExercisesDoneWhereTheySay(t *testing.T) {
	sb, room, roll := gradedClass(t, 1)
	s01 := entryOf(roll, "s01@sohu.com")
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	session(t, sb, "sina.com", "smtp", "EHLO me", "AUTH LOGIN", b("s01"), b(s01.Password),
		"MAIL FROM:<s01@sina.com>", "RCPT TO:<s01@sina.com>", "DATA", "Subject: relayed", "", "hi", ".")
	session(t, sb, "sina.com", "pop3", "STLS", "USER s01", "PASS "+s01.Password, "STAT", "LIST")
	settle(t, room, "s01", 2)
	sandboxtest.Eventually(t, 5*time.Second, "9.2 passed with STLS (the grader has both sessions)", func() bool {
		g, _ := room.Book().Grade("s01", "9.2")
		return g.Passed
	})
	for id, want := range map[string]bool{"6.1": false, "9.2": true, "9.3": false} {
		if g, _ := room.Book().Grade("s01", id); g.Passed != want {
			t.Errorf("exercise %s passed = %v, want %v (%+v)", id, g.Passed, want, g)
		}
	}
	addr, _ := sb.AddrTLS("sina.com", trace.POP3, sandbox.ImplicitTLS)
	s, _, err := client.Dial(context.Background(), client.Config{Proto: "pop3", Addr: addr, Implicit: true,
		TLS: &client.TLS{Config: sb.Certs().ClientConfig("pop3.sina.com")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"USER s01", "PASS " + s01.Password, "LIST"} {
		s.Send(line)
	}
	s.Quit()
	settle(t, room, "s01", 3)
	sandboxtest.Eventually(t, 5*time.Second, "9.3 passed on the POP3S port", func() bool {
		g, _ := room.Book().Grade("s01", "9.3")
		return g.Passed
	})
}
