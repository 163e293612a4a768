package certs

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestServersVerifyWithTheCA: a client that trusts ca.pem verifies each
// server by name and by 127.0.0.1, and a restart keeps the same CA.
func TestServersVerifyWithTheCA(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, net.ParseIP("192.0.2.7"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"smtp.sohu.com", "pop3.sina.com"} {
		srv, err := a.ServerConfig(name)
		if err != nil {
			t.Fatal(err)
		}
		leaf := srv.Certificates[0].Leaf
		for _, host := range []string{name, "127.0.0.1", "192.0.2.7"} {
			if _, err := leaf.Verify(verifyOpts(a, host)); err != nil {
				t.Errorf("%s as %s: %v", name, host, err)
			}
		}
	}
	again, err := Open(dir, net.ParseIP("192.0.2.7"))
	if err != nil || string(again.CAPEM()) != string(a.CAPEM()) {
		t.Fatalf("a restart made a new CA: %v", err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "ca-key.pem")); fi.Mode().Perm() != 0o600 {
		t.Errorf("ca-key.pem is %v", fi.Mode())
	}
}

func verifyOpts(a *Authority, host string) x509.VerifyOptions {
	return x509.VerifyOptions{DNSName: host, Roots: a.Pool()}
}

func TestHandshake(t *testing.T) {
	a, _ := Open("")
	srvCfg, _ := a.ServerConfig("smtp.sina.com")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), a.ClientConfig("smtp.sina.com"))
	if err != nil {
		t.Fatalf("a client trusting the CA: %v", err)
	}
	c.Close()
}
