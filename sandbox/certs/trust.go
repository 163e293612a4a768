package certs

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
)

// Trust is what a client of the sandbox trusts: the system's roots (for
// real servers), the sandbox's CA kept in DefaultDir when there is one,
// and each PEM file in files (e.g. a class sandbox's ca.pem). It names
// the files it took CAs from.
func Trust(files ...string) (*x509.CertPool, []string, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	var used []string
	if dir, err := DefaultDir(); err == nil {
		ca := filepath.Join(dir, "ca.pem")
		if pem, err := os.ReadFile(ca); err == nil && pool.AppendCertsFromPEM(pem) {
			used = append(used, ca)
		}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("--cacert: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("--cacert %s: no PEM certificate in it", f)
		}
		used = append(used, f)
	}
	return pool, used, nil
}
