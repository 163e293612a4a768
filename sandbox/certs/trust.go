package certs

import (
	"crypto/x509"
	"os"
	"path/filepath"

	"maillab/trace/i18n"
)

// Trust is what a client of the sandbox trusts: the system's roots (for
// real servers), the sandbox's CA kept in DefaultDir when there is one,
// and each PEM file in files (e.g. a class sandbox's ca.pem).
func Trust(files ...string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if dir, err := DefaultDir(); err == nil {
		if pem, err := os.ReadFile(filepath.Join(dir, "ca.pem")); err == nil {
			pool.AppendCertsFromPEM(pem)
		}
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, i18n.Errorf("--cacert: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, i18n.Errorf("--cacert %s: no PEM certificate in it", f)
		}
	}
	return pool, nil
}
