// Package live starts maillab's sandbox for the tests of packages that
// use it. (sandboxtest cannot: the sandbox's own tests import it.)
package live

import (
	"testing"

	"maillab/sandbox"
	"maillab/sandbox/certs"
)

// Start runs a sandbox configured by cfg on free loopback ports, and
// closes it when the test ends.
func Start(t testing.TB, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	cfg.RandomPorts = true
	sb, err := sandbox.Start(cfg)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// StartTLS is Start with a CA of the test's own, so the servers offer
// STARTTLS, STLS and their implicit-TLS ports.
func StartTLS(t testing.TB, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	ca, err := certs.Open(t.TempDir())
	if err != nil {
		t.Fatalf("open a CA: %v", err)
	}
	cfg.Certs = ca
	return Start(t, cfg)
}
