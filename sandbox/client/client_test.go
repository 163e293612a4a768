package client

import (
	"context"
	"testing"

	"maillab/sandbox"
	"maillab/trace"
)

// TestStateNames walks an SMTP and a POP3 conversation and checks the
// state after each answer.
func TestStateNames(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Config{RandomPorts: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	addr, _ := sb.Addr("sohu.com", trace.SMTP)
	s, _, err := Dial(context.Background(), Config{Proto: "smtp", Addr: addr, Client: "test", Sink: func(trace.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	steps := []struct{ line, state string }{
		{"EHLO me", StateReady}, {"AUTH LOGIN", StateAuthUser}, {"Z2FjbA==", StateAuthPassword}, {"MTIzNDU2", StateAuthenticated},
		{"MAIL FROM:<gacl@sohu.com>", StateSender}, {"RCPT TO:<aaa@sohu.com>", StateRecipients}, {"DATA", StateInData},
		{"Subject: x", StateInData}, {".", StateAuthenticated}, {"AUTH PLAIN", StateAuthenticated}, {"QUIT", StateClosed},
	}
	for _, st := range steps {
		s.Send(st.line)
		if got := s.State().Name(); got != st.state {
			t.Fatalf("after %q state is %q, want %q", st.line, got, st.state)
		}
	}
	if _, err := s.Send("NOOP"); err != ErrClosed {
		t.Errorf("sending after QUIT: %v", err)
	}
}
