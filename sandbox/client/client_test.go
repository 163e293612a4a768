package client_test

import (
	"context"

	"testing"

	"maillab/sandbox/client"
	"maillab/sandbox/sandboxtest/live"

	"maillab/sandbox"
	"maillab/trace"
)

// TestStateNames walks an SMTP and a POP3 conversation and checks the
// state after each answer.
func TestStateNames(t *testing.T) {
	sb := live.Start(t, sandbox.Config{})
	addr, _ := sb.Addr("sohu.com", trace.SMTP)
	s, _, err := client.Dial(context.Background(), client.Config{Proto: "smtp", Addr: addr, Client: "test", Sink: func(trace.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	steps := []struct{ line, state string }{
		{"EHLO me", client.StateReady}, {"AUTH LOGIN", client.StateAuthUser}, {"Z2FjbA==", client.StateAuthPassword}, {"MTIzNDU2", client.StateAuthenticated},
		{"MAIL FROM:<gacl@sohu.com>", client.StateSender}, {"RCPT TO:<aaa@sohu.com>", client.StateRecipients}, {"DATA", client.StateInData},
		{"Subject: x", client.StateInData}, {".", client.StateAuthenticated}, {"AUTH PLAIN", client.StateAuthenticated}, {"QUIT", client.StateClosed},
	}
	for _, st := range steps {
		s.Send(st.line)
		if got := s.State().Name(); got != st.state {
			t.Fatalf("after %q state is %q, want %q", st.line, got, st.state)
		}
	}
	if _, err := s.Send("NOOP"); err != client.ErrClosed {
		t.Errorf("sending after QUIT: %v", err)
	}
}
