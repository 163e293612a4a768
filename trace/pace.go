package trace

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"
)

// Pacing slows a transcript down for a class: a pause before each line,
// or a wait for Enter before each of the six steps.
type Pacing struct {
	Delay  time.Duration // before each line
	Step   bool          // wait for Enter before each step's first line
	In     io.Reader     // where Enter comes from
	Prompt io.Writer     // where "press Enter" is written
}

// Paced annotates each Event, paces it and hands it to r.
func Paced(r Renderer, p Pacing) Sink {
	ann := NewAnnotator()
	var in *bufio.Reader
	if p.Step && p.In != nil {
		in = bufio.NewReader(p.In)
	}
	var mu sync.Mutex
	seen := map[int]bool{}
	return func(e Event) {
		ann.Annotate(&e)
		mu.Lock()
		if in != nil && e.Step != 0 && !seen[e.Step] {
			seen[e.Step] = true
			fmt.Fprintf(p.Prompt, "\n[press Enter for step %s] ", StepMark(e.Step))
			in.ReadString('\n') // at the end of input, go on without waiting
		}
		mu.Unlock()
		if p.Delay > 0 {
			time.Sleep(p.Delay)
		}
		r.Render(e)
	}
}
