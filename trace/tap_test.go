package trace

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"maillab/trace/proto"
)

// collect returns a Sink that keeps Events, and a function to read them.
func collect() (Sink, func() []Event) {
	var mu sync.Mutex
	var got []Event
	return func(e Event) {
			mu.Lock()
			got = append(got, e)
			mu.Unlock()
		}, func() []Event {
			mu.Lock()
			defer mu.Unlock()
			return append([]Event(nil), got...)
		}
}

// tapped runs a server-side tap over a pipe: the client writes input in
// one go, the server answers with replies, and the Events come back.
func tapped(t *testing.T, name proto.Name, input string, replies ...string) []Event {
	t.Helper()
	sink, events := collect()
	clientEnd, serverEnd := net.Pipe()
	tap := NewTap(serverEnd, TapConfig{Side: ServerSide, Proto: name, Client: "cli", Server: "srv", Hop: Submission, Sink: sink})
	go func() {
		clientEnd.Write([]byte(input))
		io.Copy(io.Discard, clientEnd)
	}()
	buf := make([]byte, len(input))
	if _, err := io.ReadFull(tap, buf); err != nil {
		t.Fatal(err)
	}
	for _, r := range replies {
		tap.Write([]byte(r))
	}
	tap.Close()
	return events()
}

func kinds(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(string(e.Kind[0]))
	}
	return b.String()
}

func TestTapSMTPPipelinedData(t *testing.T) {
	ev := tapped(t, "SMTP", "EHLO x\r\nDATA\nSubject: a\r\n\r\nQUIT is body here\r\n.\r\nQUIT\r\n", "354 go\r\n", "250 ok\r\n")
	if got, want := kinds(ev), "ccddddcrri"; got != want {
		t.Fatalf("kinds = %s, want %s (%+v)", got, want, ev)
	}
	if ev[4].Line != "QUIT is body here" || ev[1].Line != "DATA" {
		t.Errorf("lines: %q %q", ev[1].Line, ev[4].Line)
	}
}

func TestTapSMTPRefusedData(t *testing.T) {
	sink, events := collect()
	clientEnd, serverEnd := net.Pipe()
	tap := NewTap(serverEnd, TapConfig{Side: ServerSide, Proto: "SMTP", Sink: sink})
	go io.Copy(io.Discard, clientEnd)
	tap.Write([]byte("220 hi\r\n"))
	go clientEnd.Write([]byte("DATA\r\n"))
	tap.Read(make([]byte, 6))
	tap.Write([]byte("503 5.5.1 need RCPT TO\r\n"))
	go clientEnd.Write([]byte("RSET\r\n"))
	tap.Read(make([]byte, 6))
	tap.Close()
	if got := kinds(events()); got != "rcrci" {
		t.Fatalf("after a refused DATA the next line is a command again: %s", got)
	}
}

func TestTapPOP3MultiLine(t *testing.T) {
	sink, events := collect()
	clientEnd, serverEnd := net.Pipe()
	tap := NewTap(serverEnd, TapConfig{Side: ServerSide, Proto: "POP3", Sink: sink})
	go io.Copy(io.Discard, clientEnd)
	tap.Write([]byte("+OK ready\r\n"))
	go clientEnd.Write([]byte("LIST 1\r\nRETR 1\r\nQUIT\r\n"))
	buf := make([]byte, 22)
	io.ReadFull(tap, buf)
	tap.Write([]byte("+OK 1 5\r\n+OK 5 octets\r\nhi\r\n..x\r\n.\r\n+OK bye\r\n"))
	tap.Close()
	ev := events()
	if got, want := kinds(ev), "rcccrrdddri"; got != want {
		t.Fatalf("kinds = %s, want %s", got, want)
	}
	steps := []int{}
	for _, e := range ev {
		steps = append(steps, StepOf(e))
	}
	if got := steps; got[0] != 4 || got[4] != 4 || got[5] != 6 || got[9] != 6 {
		t.Errorf("steps = %v: login and LIST are step 4, RETR's answer and QUIT step 6", got)
	}
	for i, want := range []string{"", "", "", "", "LIST 1", "RETR 1", "RETR 1", "RETR 1", "RETR 1", "QUIT"} {
		if ev[i].Answers != want {
			t.Errorf("event %d %q answers %q, want %q", i, ev[i].Line, ev[i].Answers, want)
		}
	}
	if ev[10].Action != Closed {
		t.Errorf("the last event is %+v, want the connection closed", ev[10])
	}
}

func TestTapOverlongLine(t *testing.T) {
	ev := tapped(t, "SMTP", strings.Repeat("x", 5000)+"\r\nNOOP\r\n")
	if len(ev) != 3 || !strings.HasSuffix(ev[0].Line, "…(4000 more octets)") || len(ev[0].Line) > maxShownLine+40 {
		t.Fatalf("overlong line: %d events, first %d octets", len(ev), len(ev[0].Line))
	}
}

func TestLineSplitterChunks(t *testing.T) {
	var s lineSplitter
	var lines []string
	var bare []bool
	for _, chunk := range []string{"EH", "LO x\r", "\nNO", "OP\n", "tail"} {
		s.feed([]byte(chunk), func(l string, _ int, bareLF bool) { lines, bare = append(lines, l), append(bare, bareLF) })
	}
	if strings.Join(lines, "|") != "EHLO x|NOOP" {
		t.Fatalf("lines = %q", lines)
	}
	if bare[0] || !bare[1] {
		t.Errorf("bare LF: %v, want [false true] (a CR in one read, its LF in the next, is a CRLF)", bare)
	}
}

func TestTapStepFromHelo(t *testing.T) {
	for _, tt := range []struct {
		helo string
		want int
	}{{"EHLO smtp.sohu.com", 2}, {"HELO learner", 1}} {
		sink, events := collect()
		clientEnd, serverEnd := net.Pipe()
		tap := NewTap(serverEnd, TapConfig{Side: ServerSide, Proto: "SMTP", Sink: sink,
			IsRelay: func(name string) bool { return name == "smtp.sohu.com" }})
		go io.Copy(io.Discard, clientEnd)
		tap.Write([]byte("220 hi\r\n"))
		go clientEnd.Write([]byte(tt.helo + "\r\n"))
		tap.Read(make([]byte, len(tt.helo)+2))
		tap.Write([]byte("250 ok\r\n"))
		tap.Close()
		ev := events()
		if StepOf(ev[0]) != 0 || StepOf(ev[1]) != tt.want || StepOf(ev[2]) != tt.want {
			t.Errorf("%s: steps %d %d %d, want 0 %d %d", tt.helo, StepOf(ev[0]), StepOf(ev[1]), StepOf(ev[2]), tt.want, tt.want)
		}
	}
}

// nopConn is a connection that does nothing, for taps fed by hand.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// TestSessionLineCap: a session records at most maxSessionLines lines,
// whatever their kind; the rest is summed up once, at its close.
func TestSessionLineCap(t *testing.T) {
	input := strings.Repeat("NOOP\r\n", 3*maxSessionLines)
	ev := tapped(t, "SMTP", input)
	if len(ev) > maxSessionLines+2 {
		t.Fatalf("%d events", len(ev))
	}
	elided := ev[len(ev)-2]
	if elided.Action != Elided || elided.Facts.Count != 2*maxSessionLines {
		t.Errorf("the summary: %+v %+v", elided, elided.Facts)
	}
}
