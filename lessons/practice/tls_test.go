package practice

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"maillab/sandbox"
	"maillab/sandbox/sandboxtest/live"
	"maillab/trace"
)

// runOpts runs a practice script with opts and returns what it printed.
func runOpts(t *testing.T, opts Options, lines ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.In = strings.NewReader(strings.Join(lines, "\n") + "\n")
	opts.Out, opts.ErrOut = &out, &out
	err := Run(context.Background(), opts)
	return out.String(), err
}

// TestTypedStartTLS: typing STARTTLS turns the session to TLS, shows the
// handshake and what an eavesdropper sees, and the login then works.
func TestTypedStartTLS(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{RequireTLS: true})
	out, err := runOpts(t, Options{Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP"), CACert: sb.Certs().CAFile()},
		"EHLO me", "AUTH PLAIN AGdhY2wAMTIzNDU2", "STARTTLS", "EHLO me", "AUTH PLAIN AGdhY2wAMTIzNDU2", "QUIT")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"530 5.7.0", "hint: this server takes logins only inside TLS", "220 2.0.0", "TLS started", "(verified)", "C~ EHLO me", "S~ 235 2.7.0", "on the wire:"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
}

// TestImplicitTLSFlag: --tls connects to the SMTPS port of a sandbox.
func TestImplicitTLSFlag(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{RequireTLS: true})
	a, _ := sb.AddrTLS("sina.com", trace.POP3, sandbox.ImplicitTLS)
	out, err := runOpts(t, Options{Proto: "pop3", Addr: a, TLS: true, CACert: sb.Certs().CAFile()}, "USER bbb", "PASS 123456", "QUIT")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "S~ +OK") || !strings.Contains(out, "TLS started") {
		t.Errorf("POP3S session:\n%s", out)
	}
}

// TestUntrustedCertificateAdvice: without the sandbox's CA the handshake
// fails with advice, never silently.
func TestUntrustedCertificateAdvice(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{RequireTLS: true})
	out, _ := runOpts(t, Options{Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP")}, "EHLO me", "STARTTLS", "NOOP")
	if !strings.Contains(out, "--cacert") || !strings.Contains(out, "unknown authority") {
		t.Errorf("no advice about the CA:\n%s", out)
	}
	a, _ := sb.AddrTLS("sohu.com", trace.SMTP, sandbox.ImplicitTLS)
	_, err := runOpts(t, Options{Proto: "smtp", Addr: a, TLS: true})
	if err == nil || !strings.Contains(err.Error(), "--cacert") {
		t.Errorf("--tls without the CA: %v", err)
	}
	_, err = runOpts(t, Options{Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP"), TLS: true, CACert: sb.Certs().CAFile()})
	if err == nil || !strings.Contains(err.Error(), "leave out --tls") {
		t.Errorf("--tls to a plaintext port: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := runOpts(t, Options{Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP"), CACert: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a bad --cacert: %v", err)
	}
}

// TestClassCAFetchedFromThePage: a student on another machine gets the
// class sandbox's CA from its page.
func TestClassCAFetchedFromThePage(t *testing.T) {
	sb := live.StartTLS(t, sandbox.Config{RequireTLS: true})
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ca.pem" {
			w.Write(sb.Certs().CAPEM())
			return
		}
		http.NotFound(w, r)
	}))
	defer page.Close()
	out, err := runOpts(t, Options{Proto: "smtp", Addr: addr(sb, "sohu.com", "SMTP"), ClassPage: page.URL + "/"}, "EHLO me", "STARTTLS", "QUIT")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "trusting the class sandbox's CA") || !strings.Contains(out, "(verified)") {
		t.Errorf("class CA not used:\n%s", out)
	}
}
