package sandbox

import (
	"testing"
	"time"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"
)

// TestBlockedSinkNeverSlowsServers: a consumer that never returns (a
// paused terminal) is left behind. Mail is still submitted, relayed,
// stored and fetched, and the consumer is told how many events it missed.
func TestBlockedSinkNeverSlowsServers(t *testing.T) {
	sb := startTestSandbox(t, func(c *Config) { c.TapServers = true })
	release := make(chan struct{})
	got := make(chan trace.Event, 1000)
	stuck := sb.Events.SubscribeQueued("a stuck viewer", 8, func(e trace.Event) {
		<-release
		got <- e
	}, nil)
	stored, stop := waitStored(sb)
	defer stop()

	submit(t, sb, 20)
	for range 20 {
		waitFor(t, stored)
	}
	p := pop3LoggedIn(t, sb, "sina.com", "bbb")
	p.cmd("STAT", "+OK 20 ")
	p.cmd("QUIT", "+OK")

	if stuck.Dropped() == 0 {
		t.Fatal("the stuck viewer dropped nothing, so something waited for it")
	}
	close(release)
	smtpSessionGreeted(t, sb, "sina.com").cmd("QUIT", "221") // events after the gap
	for {
		e := sandboxtest.Receive(t, got, 10*time.Second, "the drop notice")
		if e.Action == trace.Dropped {
			if e.Facts.Count == 0 || e.Facts.Viewer != "a stuck viewer" {
				t.Errorf("drop notice %+v", e.Facts)
			}
			break
		}
	}
	stuck.Close(-1)
}
