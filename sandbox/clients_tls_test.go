package sandbox

import (
	"crypto/tls"
	"os/exec"
	"strings"
	"testing"

	"maillab/sandbox/sandboxtest"
	"maillab/trace"
	"maillab/trace/proto"
)

// Real clients over TLS: each verifies the servers' certificates against
// the sandbox's CA, as a learner is told to.

func implicitAddr(t *testing.T, sb *Sandbox, domain string, proto proto.Name) string {
	t.Helper()
	addr, ok := sb.AddrTLS(domain, proto, ImplicitTLS)
	if !ok {
		t.Fatalf("%s has no implicit-TLS %s port", domain, proto)
	}
	return addr
}

// TestOpenSSLClient drives openssl s_client: STARTTLS for SMTP and POP3,
// and the implicit-TLS ports, each verified, with a typed session inside.
func TestOpenSSLClient(t *testing.T) {
	requireTool(t, "openssl")
	sb := startTLSSandbox(t)
	ca := sb.Certs().CAFile()
	tests := []struct {
		name, addr, starttls, host, session string
		want                                []string
	}{
		{"SMTP STARTTLS", smtpAddr(t, sb, "sohu.com"), "smtp", "smtp.sohu.com",
			"EHLO openssl\nAUTH PLAIN AGdhY2wAMTIzNDU2\nQUIT\n", []string{"235 2.7.0", "221 2.0.0"}},
		{"POP3 STLS", pop3Addr(t, sb, "sina.com"), "pop3", "pop3.sina.com",
			"USER bbb\nPASS 123456\nSTAT\nQUIT\n", []string{"+OK 0 0", "+OK"}},
		{"SMTPS", implicitAddr(t, sb, "sina.com", trace.SMTP), "", "smtp.sina.com",
			"EHLO openssl\nQUIT\n", []string{"220 smtp.sina.com", "250-smtp.sina.com", "221 2.0.0"}},
		{"POP3S", implicitAddr(t, sb, "sohu.com", trace.POP3), "", "pop3.sohu.com",
			"CAPA\nQUIT\n", []string{"+OK", "UIDL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"s_client", "-connect", tt.addr, "-servername", tt.host, "-verify_hostname", tt.host,
				"-CAfile", ca, "-verify_return_error", "-crlf", "-ign_eof", "-brief"}
			if tt.starttls != "" {
				args = append(args, "-starttls", tt.starttls)
			}
			out := run(t, tt.session, "openssl", args...)
			for _, want := range append([]string{"Verification: OK"}, tt.want...) {
				if !strings.Contains(out, want) {
					t.Errorf("openssl output lacks %q:\n%s", want, out)
				}
			}
		})
	}

	// a certificate checked against another name is refused
	cmd := exec.Command("openssl", "s_client", "-connect", smtpAddr(t, sb, "sohu.com"), "-starttls", "smtp",
		"-servername", "smtp.sohu.com", "-verify_hostname", "smtp.example.com", "-CAfile", ca, "-verify_return_error", "-brief")
	cmd.Stdin = strings.NewReader("")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "verify") {
		t.Errorf("a wrong name was accepted (%v):\n%s", err, out)
	}
}

// TestSwaksTLS sends with swaks over STARTTLS and over SMTPS, verifying
// the certificate and logging in inside TLS.
func TestSwaksTLS(t *testing.T) {
	requireTool(t, "swaks")
	if exec.Command("perl", "-MNet::SSLeay", "-MIO::Socket::SSL", "-e1").Run() != nil {
		sandboxtest.Unavailable(t, "swaks has no TLS here (apt-get install libnet-ssleay-perl libio-socket-ssl-perl)")
	}
	sb := startTLSSandbox(t, func(c *Config) { c.RequireTLS = true })
	ca := sb.Certs().CAFile()
	for _, mode := range []struct{ flag, addr string }{
		{"--tls", smtpAddr(t, sb, "sohu.com")},
		{"--tls-on-connect", implicitAddr(t, sb, "sohu.com", trace.SMTP)},
	} {
		out := run(t, "", "swaks", "--server", mode.addr, mode.flag, "--tls-verify", "--tls-ca-path", ca,
			"--from", "gacl@sohu.com", "--to", "aaa@sohu.com",
			"--auth", "LOGIN", "--auth-user", "gacl", "--auth-password", "123456")
		for _, want := range []string{"TLS started", "235 2.7.0", "250 2.0.0 OK, message accepted"} {
			if !strings.Contains(out, want) {
				t.Errorf("swaks %s lacks %q:\n%s", mode.flag, want, out)
			}
		}
	}
}

const pythonTLS = `
import smtplib, poplib, ssl, sys
ca, host, smtp, smtps, pop3, pop3s = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ctx = ssl.create_default_context(cafile=ca)
with smtplib.SMTP(host, smtp, timeout=10) as s:
    s.starttls(context=ctx)
    s.login("gacl", "123456")
    s.sendmail("gacl@sohu.com", ["aaa@sohu.com"], "Subject: starttls\r\n\r\nover STARTTLS\r\n")
with smtplib.SMTP_SSL(host, smtps, context=ctx, timeout=10) as s:
    s.login("gacl", "123456")
    s.sendmail("gacl@sohu.com", ["aaa@sohu.com"], "Subject: smtps\r\n\r\nover SMTPS\r\n")
p = poplib.POP3(host, pop3, timeout=10)
p.stls(context=ctx)
p.user("aaa"); p.pass_("123456")
print("stls stat", p.stat()[0])
p.quit()
p = poplib.POP3_SSL(host, pop3s, context=ctx, timeout=10)
p.user("aaa"); p.pass_("123456")
print("pop3s", b"\n".join(p.retr(2)[1]).decode())
p.quit()
`

// TestPythonTLS: smtplib's starttls() and SMTP_SSL, poplib's stls() and
// POP3_SSL, all with a context that trusts only the sandbox's CA.
func TestPythonTLS(t *testing.T) {
	py := requireTool(t, "python3")
	sb := startTLSSandbox(t, func(c *Config) { c.RequireTLS = true })
	host, smtp := hostPort(t, smtpAddr(t, sb, "sohu.com"))
	_, smtps := hostPort(t, implicitAddr(t, sb, "sohu.com", trace.SMTP))
	_, pop3 := hostPort(t, pop3Addr(t, sb, "sohu.com"))
	_, pop3s := hostPort(t, implicitAddr(t, sb, "sohu.com", trace.POP3))
	out := run(t, "", py, "-c", pythonTLS, sb.Certs().CAFile(), host, smtp, smtps, pop3, pop3s)
	for _, want := range []string{"stls stat 2", "Subject: smtps", "over SMTPS"} {
		if !strings.Contains(out, want) {
			t.Errorf("python over TLS lacks %q:\n%s", want, out)
		}
	}
}

// TestCurlTLS: curl sends over STARTTLS (--ssl-reqd) and reads over POP3S
// and over STLS, trusting the sandbox's CA (--cacert).
func TestCurlTLS(t *testing.T) {
	requireTool(t, "curl")
	sb := startTLSSandbox(t, func(c *Config) { c.RequireTLS = true })
	ca := sb.Certs().CAFile()
	host, port := hostPort(t, smtpAddr(t, sb, "sina.com"))
	run(t, "Subject: from curl\r\n\r\nsent by curl over TLS\r\n", "curl", "-sS", "--max-time", "10",
		"smtp://"+host+":"+port, "--ssl-reqd", "--cacert", ca,
		"--mail-from", "bbb@sina.com", "--mail-rcpt", "gacl@sina.com", "-u", "bbb:123456", "--upload-file", "-")
	_, port = hostPort(t, implicitAddr(t, sb, "sina.com", trace.POP3))
	msg := run(t, "", "curl", "-sS", "--max-time", "10", "--cacert", ca, "pop3s://"+host+":"+port+"/1", "-u", "gacl@sina.com:123456")
	if !strings.Contains(msg, "sent by curl over TLS") {
		t.Errorf("curl pop3s retrieved:\n%s", msg)
	}
	_, port = hostPort(t, pop3Addr(t, sb, "sina.com"))
	list := run(t, "", "curl", "-sS", "--max-time", "10", "--ssl-reqd", "--cacert", ca, "pop3://"+host+":"+port+"/", "-u", "gacl@sina.com:123456")
	if !strings.HasPrefix(list, "1 ") {
		t.Errorf("curl LIST over STLS: %q", list)
	}
}

// TestLocalhostVerifies: curl verifies the servers as localhost (the
// sandbox's own names, such as smtp.sohu.com, belong to real providers
// outside it), with the sandbox's CA.
func TestLocalhostVerifies(t *testing.T) {
	requireTool(t, "curl")
	sb := startTLSSandbox(t)
	_, port := hostPort(t, implicitAddr(t, sb, "sina.com", trace.POP3))
	// run fails the test when curl does: a certificate without localhost
	// ends in "SSL: no alternative certificate subject name matches"
	run(t, "", "curl", "-sS", "--max-time", "10", "--cacert", sb.Certs().CAFile(), "pop3s://localhost:"+port+"/", "-u", "bbb:123456")
}

// TestOnlyAEADCiphers: over TLS 1.2 the servers offer AEAD suites only: a
// client that knows nothing but CBC (LUCKY13's) gets no handshake.
func TestOnlyAEADCiphers(t *testing.T) {
	sb := startTLSSandbox(t)
	addr := implicitAddr(t, sb, "sohu.com", trace.SMTP)
	for _, tt := range []struct {
		suite uint16
		ok    bool
	}{
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, false},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
	} {
		cfg := sb.Certs().ClientConfig("smtp.sohu.com")
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{tt.suite}
		c, err := tls.Dial("tcp", addr, cfg)
		if err == nil {
			c.Close()
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: handshake error %v, want success %v", tls.CipherSuiteName(tt.suite), err, tt.ok)
		}
	}
}
