package web

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"maillab/sandbox/sandboxtest"
)

// tabStats are a tab's own measurements (common.js keeps them): events
// shown, the page's work in milliseconds, and each event's lag from the
// server's clock to the DOM.
type tabStats struct {
	Shown float64   `json:"shown"`
	Work  float64   `json:"work"`
	Lags  []float64 `json:"lags"`
}

// chromedpTab is one tab of the browser showing the page.
type chromedpTab struct{ ctx context.Context }

func newTab(b testing.TB, parent context.Context, url string) *chromedpTab {
	ctx, cancel := chromedp.NewContext(parent)
	b.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(url)); err != nil {
		b.Fatal(err)
	}
	return &chromedpTab{ctx: ctx}
}

// waitShown waits for the tab to have shown n events.
func (t *chromedpTab) waitShown(b testing.TB, n int) {
	if _, err := chromedp.Run(t.ctx, chromedp.Poll[bool](fmt.Sprintf("window.maillabStats && maillabStats.shown >= %d", n),
		chromedp.WithPollingTimeout(2*time.Minute), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		b.Fatalf("the tab never showed %d events: %v", n, err)
	}
}

// reset starts the tab's measurements over.
func (t *chromedpTab) reset(b testing.TB) {
	if _, err := chromedp.Run(t.ctx, chromedp.Evaluate[bool](`maillabStats.shown = 0; maillabStats.work = 0; maillabStats.lags = []; true`)); err != nil {
		b.Fatal(err)
	}
}

func (t *chromedpTab) stats(b testing.TB) tabStats {
	s, err := chromedp.Run(t.ctx, chromedp.Evaluate[tabStats](`maillabStats`))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPageLag measures the projector page with a class at work, as
// a teacher's machine runs it: 30 students (each from an address of its
// own) send to a classmate and fetch their mail every 2 seconds (several
// times what a class was measured to do: 130 events/s at its peak), while
// three tabs show the page. First the history fills to the page's 20,000
// events; a tab opened then takes them all at once (its events per
// second: how fast a page catches up); then, live, every event's lag from
// the server to each tab's DOM and the page's work per event, however
// long the history. Run it with
//
//	go test ./sandbox/web -run '^$' -bench PageLag -benchtime 1x
func BenchmarkPageLag(b *testing.B) {
	ctx := browser(b, 1280, 720)
	sb, page, roll := classroom(b, 30)
	var students []int
	for i, e := range roll {
		if e.Domain == "sohu.com" {
			students = append(students, i)
		}
	}
	// busy has every student send a message and fetch their mail every
	// pace (0: as fast as they can), for d.
	busy := func(d, pace time.Duration) {
		g := sandboxtest.NewGroup(b)
		deadline := time.Now().Add(d)
		for n, i := range students {
			g.Go(func(t testing.TB) {
				to := roll[(i+3)%len(roll)]
				time.Sleep(time.Duration(n) * pace / time.Duration(len(students))) // spread out, as a class is
				for k := 0; time.Now().Before(deadline); k++ {
					next := time.Now().Add(pace)
					smtpSend(t, sb, roll[i], to.Address(), fmt.Sprintf("lag %d from %d", k, n))
					pop3Fetch(t, sb, roll[i+1]) // the same student's sina account
					time.Sleep(time.Until(next))
				}
			})
		}
		g.Wait()
	}
	for page.ring.last() < 20000 {
		busy(time.Second, 0)
	}
	var tabs []*chromedpTab
	for i := range 3 {
		tab := newTab(b, ctx, page.URL())
		start := time.Now()
		tab.waitShown(b, 20000)
		caught := time.Since(start)
		b.Logf("tab %d took the 20,000 events of the history in %v: %.0f events/s", i+1, caught.Round(time.Millisecond), 20000/caught.Seconds())
		b.ReportMetric(20000/caught.Seconds(), fmt.Sprintf("catch-up-events/s-tab%d", i+1))
		tabs = append(tabs, tab)
	}
	for _, tab := range tabs {
		tab.reset(b)
	}
	before := page.ring.last()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		busy(10*time.Second, 2*time.Second) // each student: a message sent and fetched every 2 s
	}
	elapsed := time.Since(start)
	b.StopTimer()
	events := float64(page.ring.last() - before)
	time.Sleep(2 * time.Second) // the last events reach the tabs
	b.ReportMetric(events/elapsed.Seconds(), "server-events/s")
	for i, tab := range tabs {
		s := tab.stats(b)
		lags := slices.Clone(s.Lags)
		b.ReportMetric(percentile(lags, .5), fmt.Sprintf("lag-p50-ms-tab%d", i+1))
		b.ReportMetric(percentile(lags, .9), fmt.Sprintf("lag-p90-ms-tab%d", i+1))
		b.ReportMetric(percentile(lags, 1), fmt.Sprintf("lag-max-ms-tab%d", i+1))
		b.ReportMetric(s.Work/max(s.Shown, 1), fmt.Sprintf("work-ms/event-tab%d", i+1))
		b.ReportMetric(s.Shown/elapsed.Seconds(), fmt.Sprintf("events/s-tab%d", i+1))
	}
}
