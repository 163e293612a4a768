package sandbox

import (
	"testing"
	"time"

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
	// The notice goes out with the first event the queue has room for
	// again: keep the servers talking until it comes.
	deadline := time.Now().Add(10 * time.Second)
	for notice := false; !notice; {
		if time.Now().After(deadline) {
			t.Fatal("the stuck viewer was never told what it missed")
		}
		smtpSessionGreeted(t, sb, "sina.com").cmd("QUIT", "221")
		for len(got) > 0 && !notice {
			e := <-got
			notice = e.Action == trace.Dropped
			if notice && (e.Facts.Count == 0 || e.Facts.Viewer != "a stuck viewer") {
				t.Errorf("drop notice %+v", e.Facts)
			}
		}
	}
	stuck.Close(-1)
}
