package practice

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
)

// ErrInterrupted is the learner pressing Ctrl-C at an empty prompt: leave
// at once (maillab exits with status 130, as shells expect).
var ErrInterrupted = errors.New("interrupted")

// Lines reads lines from a reader in a goroutine of its own, so that a
// wait for the learner's next line ends at once when the context does
// (Ctrl-C), and nothing typed is lost in between.
type Lines struct {
	ch chan line
}

type line struct {
	text string
	err  error
}

// NewLines starts reading r. It reads one line ahead at most.
func NewLines(r io.Reader) *Lines {
	l := &Lines{ch: make(chan line)}
	go func() {
		br := bufio.NewReader(r)
		for {
			text, err := br.ReadString('\n')
			if err != nil && text == "" {
				l.ch <- line{err: err}
				close(l.ch)
				return
			}
			l.ch <- line{text: strings.TrimRight(text, "\r\n")}
		}
	}()
	return l
}

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
