package sandbox

import (
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// deadlineConn records the read deadlines set on it.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.set = append(c.set, t)
	return nil
}

// TestArmDeadline: a busy session does not set its deadline again for
// every line, but a shorter idle time, a deadline gone stale and a
// shutdown each set one at once.
func TestArmDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timeouts []time.Duration // one per line read
		pause    time.Duration   // between lines
		closing  bool
		wantSets int
	}{
		{"no idle limit", []time.Duration{0, 0}, 0, false, 0},
		{"lines in quick succession", []time.Duration{time.Hour, time.Hour, time.Hour}, 0, false, 1},
		{"a server under load shortens it", []time.Duration{time.Hour, time.Minute}, 0, false, 2},
		{"the idle time runs on", []time.Duration{160 * time.Millisecond, 160 * time.Millisecond}, 20 * time.Millisecond, false, 2},
		{"shutdown", []time.Duration{time.Hour}, 0, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := &deadlineConn{}
			var closing atomic.Bool
			closing.Store(tc.closing)
			line := 0
			lr := newLineReader(conn, func() time.Duration { return tc.timeouts[line] }, &closing)
			for line = range tc.timeouts {
				time.Sleep(tc.pause)
				if err := lr.armDeadline(); err != nil {
					t.Fatal(err)
				}
			}
			if len(conn.set) != tc.wantSets {
				t.Fatalf("%d deadlines set, want %d", len(conn.set), tc.wantSets)
			}
			last := tc.timeouts[len(tc.timeouts)-1]
			if tc.wantSets > 0 && !tc.closing && time.Until(conn.set[len(conn.set)-1]) < last*15/16-tc.pause {
				t.Errorf("the deadline leaves %v of %v", time.Until(conn.set[len(conn.set)-1]), last)
			}
			if tc.closing && time.Until(conn.set[len(conn.set)-1]) > 0 {
				t.Error("shutting down, the deadline is still ahead")
			}
		})
	}
}

// TestListenWithoutKeepAlive: accepted connections have no TCP
// keep-alive (each session has its idle timeout; the probes would cost
// four system calls per connection).
func TestListenWithoutKeepAlive(t *testing.T) {
	ln, err := listenWithoutKeepAlive("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	keepAlive := -1
	raw.Control(func(fd uintptr) {
		keepAlive, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	})
	if err != nil || keepAlive != 0 {
		t.Fatalf("SO_KEEPALIVE = %d (%v), want 0", keepAlive, err)
	}
}
