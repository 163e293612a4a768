package practice

import (
	"bufio"
	"context"
	"io"
	"strings"
	"sync"

	"maillab/trace/i18n"
)

// ErrInterrupted is the learner pressing Ctrl-C at an empty prompt: leave
// at once (maillab exits with status 130, as shells expect).
var ErrInterrupted = i18n.NewError("interrupted")

// Lines reads lines from a reader in a goroutine of its own, so that a
// wait for the learner's next line ends at once when the context does
// (Ctrl-C), and nothing typed is lost in between. Stop ends the reading
// goroutine when nobody will ask for another line.
type Lines struct {
	ch   chan line
	stop chan struct{} // closed by Stop
	done chan struct{} // closed when the reading goroutine ends
	once sync.Once
}

type line struct {
	text string
	err  error
}

// NewLines starts reading r. It reads one line ahead at most.
func NewLines(r io.Reader) *Lines {
	l := &Lines{ch: make(chan line), stop: make(chan struct{}), done: make(chan struct{})}
	go l.read(r)
	return l
}

// read passes each line of r on, until r ends or Stop is called. A read
// blocked in r itself (a terminal nobody types into) ends with r.
func (l *Lines) read(r io.Reader) {
	defer close(l.done)
	defer close(l.ch)
	br := bufio.NewReader(r)
	for {
		text, err := br.ReadString('\n')
		next := line{text: strings.TrimRight(text, "\r\n")}
		if err != nil && text == "" {
			next = line{err: err}
		}
		select {
		case l.ch <- next:
		case <-l.stop:
			return
		}
		if next.err != nil {
			return
		}
	}
}

// Stop tells the reading goroutine that no more lines are wanted.
func (l *Lines) Stop() { l.once.Do(func() { close(l.stop) }) }

// Next returns the next line, io.EOF at the end of input, or the
// context's error when it is done first.
func (l *Lines) Next(ctx context.Context) (string, error) {
	select {
	case ln, ok := <-l.ch:
		if !ok {
			return "", io.EOF
		}
		return ln.text, ln.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
