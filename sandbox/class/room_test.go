package class

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/sandbox/roster"
	"maillab/sandbox/sandboxtest"
	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// clock is a test's clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// classOf starts a sandbox with n students and a room following it.
func classOf(t *testing.T, n int, opts Options) (*sandbox.Sandbox, *Room, []roster.Entry) {
	t.Helper()
	world := sandbox.DefaultWorld()
	roll, err := roster.Generate(n, []string{"sohu.com", "sina.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	world.AddStudents(roll)
	sb, err := sandbox.Start(sandbox.Config{World: world, RandomPorts: true, TapServers: true})
	if err != nil {
		t.Fatal(err)
	}
	room, err := Open(world, opts)
	if err != nil {
		t.Fatal(err)
	}
	q := sb.Events.SubscribeQueued("the room", 1<<14, room.Observe, nil)
	t.Cleanup(func() { sb.Close(); q.Close(time.Second); room.Close() })
	return sb, room, roll
}

// talk opens a session and sends lines, each expecting an answer that
// starts with the given prefix ("" for lines of a message).
func talk(t *testing.T, sb *sandbox.Sandbox, domain string, p proto.Name, script ...[2]string) {
	t.Helper()
	addr, _ := sb.Addr(domain, p)
	s, _, err := client.Dial(context.Background(), client.Config{Proto: strings.ToLower(string(p)), Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, x := range script {
		answer, err := s.Send(x[0])
		if err != nil || x[1] != "" && (len(answer) == 0 || !strings.HasPrefix(answer[len(answer)-1], x[1]) && !strings.HasPrefix(answer[0], x[1])) {
			t.Fatalf("%q: want %s, got %q (%v)", x[0], x[1], answer, err)
		}
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// login is an SMTP login as a student.
func login(e roster.Entry) [][2]string {
	return [][2]string{{"EHLO me", "250"}, {"AUTH LOGIN", "334"}, {b64(e.Account), "334"}, {b64(e.Password), "235"}}
}

// tileOf finds a student's tile.
func tileOf(room *Room, student string, public bool) Tile {
	for _, t := range room.Tiles(public) {
		if t.Student == student {
			return t
		}
	}
	return Tile{}
}

// TestTilesFromWhatServersSaw: a student's tile counts what the servers
// saw their logged-in sessions do; a login refused for a name is shown
// on that name's tile as claimed (its address only to the teacher); a
// session that never logs in is nobody's.
func TestTilesFromWhatServersSaw(t *testing.T) {
	sb, room, roll := classOf(t, 3, Options{})
	s01 := roll[0] // s01@sohu.com
	send := append(login(s01), [][2]string{{"MAIL FROM:<s01@sohu.com>", "250"}, {"RCPT TO:<s02@sina.com>", "250"},
		{"DATA", "354"}, {"Subject: hi", ""}, {"", ""}, {"hello", ""}, {".", "250"}, {"QUIT", "221"}}...)
	talk(t, sb, "sohu.com", trace.SMTP, send...)
	talk(t, sb, "sohu.com", trace.SMTP, [2]string{"EHLO x", "250"}, [2]string{"AUTH PLAIN " + b64("\x00s02\x00wrong"), "535"})
	talk(t, sb, "sina.com", trace.SMTP, [2]string{"EHLO anonymous", "250"}, [2]string{"MAIL FROM:<x@example.org>", "250"}, [2]string{"RCPT TO:<nobody@sina.com>", "550"})
	sandboxtest.Eventually(t, 5*time.Second, "s01's message delivered", func() bool {
		return tileOf(room, "s01", false).Fate == Delivered && tileOf(room, "s02", false).Received == 1
	})
	one := tileOf(room, "s01", false)
	if one.Sent != 1 || one.Sessions != 1 || one.Step != 3 || one.To != "s02@sina.com" || one.LastError != nil || one.Stuck {
		t.Errorf("s01's tile: %+v", one)
	}
	two := tileOf(room, "s02", false)
	if two.FailedLogins != 1 || two.LastError == nil || !two.LastError.Claimed || two.LastError.Status != "535" || two.LastError.Client == "" || two.Sessions != 0 {
		t.Errorf("s02's tile: %+v (%+v)", two, two.LastError)
	}
	if p := tileOf(room, "s02", true); p.LastError != nil || p.Stuck || p.LastSeen != (time.Time{}) {
		t.Errorf("the projector's tile shows a login only claimed for s02 (anyone can type s02): %+v %+v", p, p.LastError)
	}
	if three := tileOf(room, "s03", false); three.LastSeen != (time.Time{}) || three.LastError != nil {
		t.Errorf("s03 did nothing: %+v", three)
	}
	if len(room.Tiles(false)) != 3 {
		t.Errorf("tiles: want one per student, got %d", len(room.Tiles(false)))
	}
}

// TestStuck: three errors in a row, or errors and nothing else for
// StuckAfter, make a student stuck; a success clears it.
func TestStuck(t *testing.T) {
	c := &clock{now: time.Now()}
	tests := []struct {
		name   string
		errors int
		wait   time.Duration
		thenOK bool
		stuck  bool
	}{
		{"one error", 1, 0, false, false},
		{"three errors in a row", 3, 0, false, true},
		{"one error, then four minutes of nothing better", 1, 4 * time.Minute, false, true},
		{"three errors, then a success", 3, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, room, roll := classOf(t, 1, Options{Now: c.Now, StuckAfter: 3 * time.Minute})
			script := login(roll[0])
			for range tt.errors {
				script = append(script, [2]string{"RCPT TO:<s01@sina.com>", "503"})
			}
			if tt.thenOK {
				script = append(script, [2]string{"NOOP", "250"})
			}
			talk(t, sb, "sohu.com", trace.SMTP, append(script, [2]string{"QUIT", "221"})...)
			sandboxtest.Eventually(t, 5*time.Second, "the session seen closed", func() bool {
				tile := tileOf(room, "s01", false)
				return tile.Sessions == 1 && tile.Online == 0
			})
			c.add(tt.wait)
			if got := tileOf(room, "s01", false); got.Stuck != tt.stuck {
				t.Errorf("stuck = %v, want %v: %+v", got.Stuck, tt.stuck, got)
			}
		})
	}
}

// TestRoomKeptAcrossRestart: a room with a directory keeps its tiles and
// grades there; a new room on the same directory starts from them.
func TestRoomKeptAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	book := NewBook([]Exercise{{ID: "2.1", Lesson: 2, Graded: true}})
	sb, room, roll := classOf(t, 1, Options{Dir: dir, Book: book})
	talk(t, sb, "sohu.com", trace.SMTP, append(login(roll[0]), [][2]string{{"MAIL FROM:<s01@sohu.com>", "250"}, {"RCPT TO:<s01@sina.com>", "250"},
		{"DATA", "354"}, {"Subject: kept", ""}, {"", ""}, {"hi", ""}, {".", "250"}, {"QUIT", "221"}}...)...)
	sandboxtest.Eventually(t, 5*time.Second, "the message delivered", func() bool { return tileOf(room, "s01", false).Fate == Delivered })
	book.Passed("s01", "2.1", 2, time.Now())
	if err := room.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(sb.World(), Options{Dir: dir, Book: NewBook(book.Exercises())})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	tile := tileOf(again, "s01", false)
	if tile.Sessions != 1 || tile.Passed != 1 || tile.Online != 0 || tile.Sent != 1 || tile.Step != 3 || tile.Fate != Delivered {
		t.Errorf("after a restart: %+v", tile)
	}
	if info, err := os.Stat(filepath.Join(dir, stateFile)); err != nil || info.Size() == 0 {
		t.Errorf("the class file: %v", err)
	}
}

// TestSecretsKept: the token and the postmaster's password survive a
// restart, in a file only the teacher can read.
func TestSecretsKept(t *testing.T) {
	dir := t.TempDir()
	if s, err := LoadSecrets(dir); err != nil || s != (Secrets{}) {
		t.Fatalf("nothing kept yet: %+v %v", s, err)
	}
	want := Secrets{Token: "abc", Postmaster: "123456"}
	if err := SaveSecrets(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSecrets(dir)
	if err != nil || got != want {
		t.Errorf("kept %+v, got %+v (%v)", want, got, err)
	}
	if info, _ := os.Stat(filepath.Join(dir, secretsFile)); info.Mode().Perm() != 0o600 {
		t.Errorf("the secrets file is %v, want -rw-------", info.Mode().Perm())
	}
	os.WriteFile(filepath.Join(dir, secretsFile), []byte("not json"), 0o600)
	if _, err := LoadSecrets(dir); err == nil {
		t.Errorf("a broken secrets file was taken")
	}
}

// TestSheets: the three CSV sheets, after Kathará's checker.
func TestSheets(t *testing.T) {
	book := NewBook([]Exercise{{ID: "2.1", Lesson: 2, Title: "t2", Graded: true}, {ID: "3.1", Lesson: 3, Title: "t3", Graded: true}, {ID: "8.1", Lesson: 8, Title: "t8"}})
	when := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	book.Passed("s01", "2.1", 2, when)
	book.Tried("s01", "3.1", 1, 2, when)
	book.Tried("s02", "3.1", 0, 2, when)
	tests := []struct {
		sheet Sheet
		want  string
	}{
		{Summary, "student,passed,failed,not tried,graded by the servers,self-checked\ns01,1,1,0,2,1\ns02,0,1,1,2,1\n"},
		{Failures, "student,exercise,lesson,title,result,checks met,tries,when\n" +
			"s01,3.1,3,t3,failed,1/2,1,2026-11-30T09:00:00Z\ns02,3.1,3,t3,failed,0/2,1,2026-11-30T09:00:00Z\n"},
		{Results, "student,exercise,lesson,title,result,checks met,tries,when\n" +
			"s01,2.1,2,t2,passed,2/2,0,2026-11-30T09:00:00Z\ns01,3.1,3,t3,failed,1/2,1,2026-11-30T09:00:00Z\ns01,8.1,8,t8,self-checked,,0,\n" +
			"s02,2.1,2,t2,not tried,,0,\ns02,3.1,3,t3,failed,0/2,1,2026-11-30T09:00:00Z\ns02,8.1,8,t8,self-checked,,0,\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := book.WriteCSV(&b, tt.sheet, []string{"s01", "s02"}, i18n.Or(nil)); err != nil {
			t.Fatal(err)
		}
		if got := strings.ReplaceAll(b.String(), "\r\n", "\n"); got != tt.want {
			t.Errorf("%s sheet:\n%s\nwant:\n%s", tt.sheet, got, tt.want)
		}
	}
}

// TestFloodsAreBounded: sessions that never close (their "closed" lost
// to a flood) and messages by the thousand do not grow a room without
// bound, and never keep a new student's session from counting.
func TestFloodsAreBounded(t *testing.T) {
	world := sandbox.DefaultWorld()
	roll, _ := roster.Generate(1, []string{"sohu.com", "sina.com"}, nil)
	world.AddStudents(roll)
	room, _ := Open(world, Options{})
	for i := range maxOpen + 500 {
		room.Observe(trace.Event{Session: fmt.Sprintf("#%d", i), Proto: trace.SMTP, Kind: trace.Command, Line: "NOOP", Account: "s01@sohu.com"})
	}
	for i := range maxJourneys + 500 {
		room.Observe(trace.Event{Session: "#1", Proto: trace.SMTP, Hop: trace.Submission, Kind: trace.Command, Message: fmt.Sprint(i)})
	}
	if room.open.Len() > maxOpen || len(room.trips.byID) > maxJourneys || len(room.trips.order) > maxJourneys {
		t.Errorf("open sessions %d, journeys %d", room.open.Len(), len(room.trips.byID))
	}
	if online := tileOf(room, "s01", false).Online; online > maxOpen {
		t.Errorf("%d sessions said online, more than are followed", online)
	}
	before := tileOf(room, "s01", false).Sessions
	room.Observe(trace.Event{Session: "#new", Proto: trace.SMTP, Kind: trace.Reply, Final: true, Account: "s01@sohu.com", Login: proto.LoginOK, Status: "235"})
	if after := tileOf(room, "s01", false).Sessions; after != before+1 {
		t.Errorf("a new session after the flood was not counted: %d, then %d", before, after)
	}
}

// TestVerdictsOnTiles: the verdict on a student's session shows on the
// tile; a caution counts no fault; neither makes the student stuck.
func TestVerdictsOnTiles(t *testing.T) {
	sb, room, roll := classOf(t, 2, Options{})
	var s01, s02 roster.Entry
	for _, e := range roll {
		switch e.Address() {
		case "s01@sohu.com":
			s01 = e
		case "s02@sina.com":
			s02 = e
		}
	}
	talk(t, sb, "sohu.com", trace.SMTP, append(login(s01), [][2]string{{"MAIL FROM:<s01@sohu.com>", "250"}, {"RCPT TO:<s01@sohu.com>", "250"},
		{"DATA", "354"}, {"Subject: no date", ""}, {"", ""}, {"hello", ""}, {".", "250"}, {"QUIT", "221"}}...)...)
	addr, _ := sb.Addr("sina.com", trace.POP3)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	r.ReadString('\n')
	for _, line := range []string{"USER " + s02.Account, "PASS " + s02.Password} {
		conn.Write([]byte(line + "\r\n"))
		if answer, _ := r.ReadString('\n'); !strings.HasPrefix(answer, "+OK") {
			t.Fatalf("%s: %q", line, answer)
		}
	}
	conn.Close() // no QUIT
	sandboxtest.Eventually(t, 5*time.Second, "both verdicts", func() bool {
		return tileOf(room, "s01", false).LastVerdict != nil && tileOf(room, "s02", false).LastVerdict != nil
	})
	one, two := tileOf(room, "s01", false), tileOf(room, "s02", false)
	if one.Faulted != 0 || one.Stuck || one.LastVerdict.Findings[0].Rule != trace.NoDate {
		t.Errorf("s01 sent a message without Date: a caution only: %+v %+v", one, one.LastVerdict)
	}
	if two.Faulted != 1 || two.Stuck || two.LastVerdict.Findings[0].Rule != trace.NoQuit || two.LastVerdict.Proto != "POP3" {
		t.Errorf("s02 left without QUIT: %+v %+v", two, two.LastVerdict)
	}
}
