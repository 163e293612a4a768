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

// TestRelayProvesItself: a relay's client certificate from this CA
// proves which server it is; a client without one, or with another CA's,
// proves nothing, and its handshake still succeeds.
func TestRelayProvesItself(t *testing.T) {
	a, _ := Open("")
	other, _ := Open("")
	for _, tt := range []struct {
		name   string
		client func() *tls.Config
		proves string
	}{
		{"the relay", func() *tls.Config { c, _ := a.RelayConfig("smtp.sohu.com", "smtp.sina.com"); return c }, "smtp.sohu.com"},
		{"a mail program", func() *tls.Config { return a.ClientConfig("smtp.sina.com") }, ""},
		{"another CA's relay", func() *tls.Config {
			c, _ := other.RelayConfig("smtp.sohu.com", "smtp.sina.com")
			c.RootCAs = a.Pool()
			return c
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			server, _ := a.ServerConfig("smtp.sina.com")
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan tls.ConnectionState, 1)
			go func() {
				sc, err := ln.Accept()
				if err != nil {
					done <- tls.ConnectionState{}
					return
				}
				s := tls.Server(sc, server)
				s.Handshake()
				done <- s.ConnectionState()
				s.Close()
			}()
			cc, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			c := tls.Client(cc, tt.client())
			if err := c.Handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			c.Write([]byte("x")) // the server's handshake ends when it reads this
			state := <-done
			c.Close()
			name, ok := a.Proves(state)
			if name != tt.proves || ok != (tt.proves != "") {
				t.Errorf("proves %q %v, want %q", name, ok, tt.proves)
			}
		})
	}
}

// TestOneCAForTwoSandboxes: two sandboxes opening one folder at once
// share one CA.
func TestOneCAForTwoSandboxes(t *testing.T) {
	dir := t.TempDir()
	got := make(chan []byte, 8)
	for range 8 {
		go func() {
			a, err := Open(dir)
			if err != nil {
				got <- nil
				return
			}
			got <- a.CAPEM()
		}()
	}
	first := <-got
	for range 7 {
		if pem := <-got; string(pem) != string(first) || pem == nil {
			t.Fatal("two CAs were made")
		}
	}
}
