package trace

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"maillab/trace/i18n"
)

// Pacing slows a transcript down for a class: a pause before each line,
// or a wait for Enter before each of the six steps.
type Pacing struct {
	Context context.Context // when done, nothing more is waited for or rendered
	Delay   time.Duration   // before each line
	// Enter, when set, is called before each step's first line and
	// returns when the person pressed Enter; after an error (the end of
	// input) it is not called again.
	Enter  func() error
	Prompt io.Writer     // where "press Enter" is written
	Lang   *i18n.Printer // the language of notes and prompts; nil: English
}

// Paced annotates each Event, paces it and hands it to r. It may block
// (that is its job), so subscribe it with Hub.SubscribeQueued, never in a
// server's goroutine.
func Paced(r Renderer, p Pacing) Sink {
	ann := NewAnnotatorIn(p.Lang)
	ctx := p.Context
	if ctx == nil {
		ctx = context.Background()
	}
	var mu sync.Mutex
	seen := map[int]bool{}
	enter := p.Enter
	return func(e Event) {
		if ctx.Err() != nil {
			return
		}
		ann.Annotate(&e)
		mu.Lock()
		defer mu.Unlock()
		if step := StepOf(e); enter != nil && step != 0 && !seen[step] && shown(e) {
			seen[step] = true
			if h, ok := r.(interface{ Heading(Event) error }); ok {
				h.Heading(e) // the step's heading stays on screen while the class waits
			}
			fmt.Fprintf(p.Prompt, "\n[%s] ", i18n.Or(p.Lang).Trf("press Enter for step %s", StepMark(step)))
			if err := wait(ctx, enter); err != nil {
				enter = nil
			}
		}
		if p.Delay > 0 && shown(e) {
			select {
			case <-time.After(p.Delay):
			case <-ctx.Done():
			}
		}
		if ctx.Err() == nil {
			r.Render(e)
		}
	}
}

// wait runs a blocking wait for Enter, giving up when ctx is done (the
// read is left to finish on its own: Ctrl-C ends the program anyway).
func wait(ctx context.Context, enter func() error) error {
	done := make(chan error, 1)
	go func() { done <- enter() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
