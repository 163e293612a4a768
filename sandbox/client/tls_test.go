package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"sync"
	"testing"

	"maillab/sandbox"
	"maillab/sandbox/client"
	"maillab/sandbox/sandboxtest/live"
	"maillab/trace"
	"maillab/trace/proto"
)

// dial opens a session trusting roots (the sandbox's CA when nil).
func dial(t *testing.T, sb *sandbox.Sandbox, name string, mode sandbox.TLSMode, tlsCfg *client.TLS) *client.Session {
	t.Helper()
	addr, ok := sb.AddrTLS("sohu.com", proto.Name(strings.ToUpper(name)), mode)
	if !ok {
		t.Fatalf("no %s %q port", name, mode)
	}
	s, _, err := client.Dial(context.Background(), client.Config{Proto: name, Addr: addr, Client: "test",
		TLS: tlsCfg, Implicit: mode == sandbox.ImplicitTLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func trusting(sb *sandbox.Sandbox, host string) *client.TLS {
	return &client.TLS{Config: sb.Certs().ClientConfig(host)}
}

func TestSendUpgradesAfterStartTLS(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{TapServers: true})
	s := dial(t, sb, "smtp", sandbox.PlainText, trusting(sb, "smtp.sohu.com"))
	s.Send("EHLO me")
	if _, err := s.Send("STARTTLS"); err != nil {
		t.Fatal(err)
	}
	if !s.Secure || s.VerifyErr != nil || s.TLSState.Version == 0 {
		t.Fatalf("secure %v, verify %v", s.Secure, s.VerifyErr)
	}
	if got := s.State().Name(); got != client.StateGreeted {
		t.Errorf("after STARTTLS the state is %q, want %q (RFC 3207 4.2)", got, client.StateGreeted)
	}
	answer, _ := s.Send("EHLO me")
	if _, ok := client.Extensions(answer)["STARTTLS"]; ok {
		t.Errorf("STARTTLS offered inside TLS: %q", answer)
	}
}

func TestImplicitTLSAndPOP3STLS(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{TapServers: true})
	s := dial(t, sb, "pop3", sandbox.ImplicitTLS, trusting(sb, "pop3.sohu.com"))
	if !s.Secure {
		t.Fatal("implicit TLS session is not secure")
	}
	if answer, _ := s.Send("USER gacl"); client.IsError(answer) {
		t.Fatalf("USER over POP3S: %q", answer)
	}
	p := dial(t, sb, "pop3", sandbox.PlainText, trusting(sb, "pop3.sohu.com"))
	if _, err := p.Send("STLS"); err != nil || !p.Secure {
		t.Fatalf("STLS: %v", err)
	}
}

// TestUntrustedCertificate: a mail program refuses a certificate it
// cannot verify; a server relaying opportunistically goes on and says why.
func TestUntrustedCertificate(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{TapServers: true})
	strict := &client.TLS{Config: &tls.Config{ServerName: "smtp.sohu.com", RootCAs: x509.NewCertPool()}}
	s := dial(t, sb, "smtp", sandbox.PlainText, strict)
	s.Send("EHLO me")
	if _, err := s.Send("STARTTLS"); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("an untrusted certificate was accepted: %v", err)
	}
	if !s.Closed() {
		t.Error("the session goes on after a failed handshake")
	}
	lax := &client.TLS{Config: strict.Config, Opportunistic: true}
	o := dial(t, sb, "smtp", sandbox.PlainText, lax)
	o.Send("EHLO me")
	if _, err := o.Send("STARTTLS"); err != nil || o.VerifyErr == nil || !o.Secure {
		t.Fatalf("opportunistic: err %v, verify %v", err, o.VerifyErr)
	}
}

// TestPipelinedInjection: RSET pipelined after STARTTLS goes unanswered
// and the server reports it discarded.
func TestPipelinedInjection(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{TapServers: true})
	var mu sync.Mutex
	var discarded string
	stop := sb.Events.Subscribe(func(e trace.Event) {
		if e.Action == trace.Discarded {
			mu.Lock()
			discarded = e.Facts.Reason
			mu.Unlock()
		}
	})
	defer stop()
	s := dial(t, sb, "smtp", sandbox.PlainText, trusting(sb, "smtp.sohu.com"))
	s.Send("EHLO me")
	answers, unanswered, err := s.Pipeline([]string{"STARTTLS", "RSET"})
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 1 || len(unanswered) != 1 || unanswered[0] != "RSET" || !s.Secure {
		t.Fatalf("answers %q, unanswered %q", answers, unanswered)
	}
	answer, _ := s.Send("EHLO me")
	if !strings.HasPrefix(answer[0], "250-smtp.sohu.com") {
		t.Fatalf("the first answer inside TLS is %q: the server ran the injected RSET", answer[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if discarded != "RSET" {
		t.Errorf("discarded event %q", discarded)
	}
	if _, _, err := s.Pipeline([]string{"MAIL FROM:<gacl@sohu.com>", "DATA", "RSET"}); err == nil {
		t.Error("lines after DATA were pipelined")
	}
}
