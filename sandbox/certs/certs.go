// Package certs is the sandbox's own certificate authority: on first use
// it makes a CA, and a certificate for each server name (smtp.sohu.com,
// pop3.sina.com, ...) with the addresses the servers listen on as IP
// names, all ECDSA P-256 with crypto/x509. Clients that trust ca.pem
// verify the servers as they would a real provider's. The CA's key stays
// in its directory (readable by its owner only): it is never served or
// printed.
package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"maillab/trace/i18n"
)

// Lifetimes: the CA lasts ten years; a server certificate a year, and is
// made again when it has less than a month left or lacks a name.
const (
	caLifetime     = 10 * 365 * 24 * time.Hour
	serverLifetime = 365 * 24 * time.Hour
	renewBefore    = 30 * 24 * time.Hour
)

// Authority is the sandbox's CA and the certificates it issued.
type Authority struct {
	dir    string // where ca.pem and the rest are kept; "": in memory only
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  []byte
	ips    []net.IP
	mu     sync.Mutex
	issued map[string]*tls.Certificate
	// servers keeps one configuration per server name, so its session
	// tickets stay valid across connections; sessions is the clients'
	// cache of them (resumption skips the certificate's signature).
	servers  map[string]*tls.Config
	sessions tls.ClientSessionCache
}

// Open loads the authority kept in dir, making it on first use. With dir
// "", it lives in memory only (for play and tests). ips are the addresses
// every server certificate names, besides 127.0.0.1 and ::1.
func Open(dir string, ips ...net.IP) (*Authority, error) {
	a := &Authority{dir: dir, issued: map[string]*tls.Certificate{}, servers: map[string]*tls.Config{},
		sessions: tls.NewLRUClientSessionCache(64)}
	a.ips = append([]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, ips...)
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, i18n.Errorf("tls: %w", err)
		}
		unlock, err := lockDir(dir) // two sandboxes started at once make one CA
		if err != nil {
			return nil, err
		}
		defer unlock()
		if err := a.load(); err == nil {
			return a, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if err := a.create(); err != nil {
		return nil, err
	}
	return a, nil
}

// lockDir takes an exclusive lock on dir's lock file, for as long as the
// CA is being loaded or made.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, i18n.Errorf("tls: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, i18n.Errorf("tls: lock %s: %w", dir, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// CAFile is where ca.pem is ("" for an authority in memory).
func (a *Authority) CAFile() string {
	if a.dir == "" {
		return ""
	}
	return filepath.Join(a.dir, "ca.pem")
}

// CAPEM is the CA certificate, PEM-encoded: what clients trust.
func (a *Authority) CAPEM() []byte { return a.caPEM }

// Pool is a certificate pool holding the CA.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.ca)
	return p
}

// ServerConfig is the TLS configuration of the server named name, the
// same one each time (callers must not change it).
func (a *Authority) ServerConfig(name string) (*tls.Config, error) {
	cert, err := a.certificate(name)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if cfg, ok := a.servers[name]; ok {
		return cfg, nil
	}
	// A client may prove which server it is with a certificate of this CA
	// (the sandbox's relay does; Proves checks it); anyone else needs none,
	// and one that does not verify costs nothing but the proof.
	cfg := &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12, ClientAuth: tls.RequestClientCert,
		CipherSuites: aeadSuites}
	a.servers[name] = cfg
	return cfg, nil
}

// aeadSuites are the TLS 1.2 cipher suites the servers offer: AEAD only
// (GCM and ChaCha20-Poly1305, with forward secrecy), as RFC 7525 and
// testssl want; no CBC (LUCKY13). TLS 1.3's are AEAD by design.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ClientConfig is a TLS configuration that trusts the sandbox's CA, for
// a client of the server named name.
func (a *Authority) ClientConfig(name string) *tls.Config {
	return &tls.Config{ServerName: name, RootCAs: a.Pool(), MinVersion: tls.VersionTLS12, ClientSessionCache: a.sessions}
}

// Proves returns the server a TLS client proved to be with a certificate
// of this CA made for it (a provider's relay), or false.
func (a *Authority) Proves(state tls.ConnectionState) (string, bool) {
	if len(state.PeerCertificates) == 0 {
		return "", false
	}
	leaf := state.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: a.Pool(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil || len(leaf.DNSNames) == 0 || leaf.DNSNames[0] == "localhost" {
		return "", false
	}
	return leaf.DNSNames[0], true // the server's own name comes first; localhost after it is for clients outside
}

// RelayConfig is ClientConfig for the server named name, for a client that
// is the server named self (a provider's relay): it proves so with self's
// certificate.
func (a *Authority) RelayConfig(self, name string) (*tls.Config, error) {
	cert, err := a.certificate(self)
	if err != nil {
		return nil, err
	}
	cfg := a.ClientConfig(name)
	cfg.Certificates = []tls.Certificate{*cert}
	return cfg, nil
}

func (a *Authority) create() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return i18n.Errorf("tls: the CA's key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "maillab sandbox CA", Organization: []string{"maillab"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return i18n.Errorf("tls: the CA: %w", err)
	}
	a.ca, _ = x509.ParseCertificate(der)
	a.caKey = key
	a.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if a.dir == "" {
		return nil
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := write(filepath.Join(a.dir, "ca-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})); err != nil {
		return err
	}
	return write(filepath.Join(a.dir, "ca.pem"), a.caPEM)
}

func (a *Authority) load() error {
	caPEM, err := os.ReadFile(filepath.Join(a.dir, "ca.pem"))
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(filepath.Join(a.dir, "ca-key.pem"))
	if err != nil {
		return err
	}
	cb, _ := pem.Decode(caPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return i18n.Errorf("tls: %s holds no PEM CA (remove ca.pem and ca-key.pem to make a new one)", a.dir)
	}
	if a.ca, err = x509.ParseCertificate(cb.Bytes); err != nil {
		return i18n.Errorf("tls: ca.pem: %w", err)
	}
	if a.caKey, err = x509.ParseECPrivateKey(kb.Bytes); err != nil {
		return i18n.Errorf("tls: ca-key.pem: %w", err)
	}
	a.caPEM = caPEM
	return nil
}

// certificate returns the server certificate of name: kept from before
// when it still fits, else issued now (and kept).
func (a *Authority) certificate(name string) (*tls.Certificate, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.issued[name]; c != nil {
		return c, nil
	}
	if c := a.kept(name); c != nil {
		a.issued[name] = c
		return c, nil
	}
	c, err := a.issue(name)
	if err != nil {
		return nil, err
	}
	a.issued[name] = c
	return c, nil
}

// kept returns a certificate issued before for name, when it names the
// addresses needed and has time left.
func (a *Authority) kept(name string) *tls.Certificate {
	if a.dir == "" {
		return nil
	}
	c, err := tls.LoadX509KeyPair(filepath.Join(a.dir, name+".pem"), filepath.Join(a.dir, name+"-key.pem"))
	if err != nil || c.Leaf == nil {
		return nil
	}
	if time.Until(c.Leaf.NotAfter) < renewBefore || c.Leaf.CheckSignatureFrom(a.ca) != nil || !slices.Contains(c.Leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) ||
		!slices.Contains(c.Leaf.DNSNames, "localhost") {
		return nil
	}
	for _, ip := range a.ips {
		if !slices.ContainsFunc(c.Leaf.IPAddresses, ip.Equal) {
			return nil
		}
	}
	return &c
}

func (a *Authority) issue(name string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"maillab"}},
		DNSNames:     []string{name, "localhost"}, // localhost: clients outside the sandbox's names (smtp.sohu.com is the real Sohu's)
		IPAddresses:  a.ips,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, // a server, and a relay proving it is one
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.ca, &key.PublicKey, a.caKey)
	if err != nil {
		return nil, i18n.Errorf("tls: the certificate of %s: %w", name, err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	c, err := tls.X509KeyPair(bytes.Join([][]byte{certPEM, a.caPEM}, nil), keyPEM)
	if err != nil {
		return nil, err
	}
	if a.dir != "" {
		if err := write(filepath.Join(a.dir, name+".pem"), chain(certPEM, a.caPEM)); err != nil {
			return nil, err
		}
		if err := write(filepath.Join(a.dir, name+"-key.pem"), keyPEM); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// chain joins a certificate and the CA into a chain file.
func chain(cert, ca []byte) []byte { return append(append([]byte{}, cert...), ca...) }

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// write writes a file readable by its owner only.
func write(name string, data []byte) error {
	if err := os.WriteFile(name, data, 0o600); err != nil {
		return i18n.Errorf("tls: %w", err)
	}
	return nil
}

// DefaultDir is where the authority is kept when no --maildir is given:
// the user's config directory.
func DefaultDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", i18n.Errorf("tls: no config directory for the sandbox CA: %w", err)
	}
	return filepath.Join(dir, "maillab", "tls"), nil
}
