package practice

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/sandbox/client"
	"maillab/trace/i18n"
)

// startEmbedded starts a sandbox for one practice session, with TLS from
// the CA in the user's config directory (where a later 'maillab sandbox'
// finds it too), or from one in memory when that directory is not at hand.
func startEmbedded(offset int) (*sandbox.Sandbox, error) {
	ca, err := openCA()
	if err != nil {
		return nil, err
	}
	return sandbox.Start(sandbox.Config{PortOffset: offset, Certs: ca})
}

func openCA() (*certs.Authority, error) {
	if dir, err := certs.DefaultDir(); err == nil {
		if ca, err := certs.Open(dir); err == nil {
			return ca, nil
		}
	}
	return certs.Open("")
}

// clientTLS is how practice checks a server's certificate, as a mail
// program does (see Trust). It is used at once with --tls, or when the
// learner types STARTTLS or STLS.
func clientTLS(opts Options, t target) (*client.TLS, error) {
	var extra []byte
	if t.embedded != nil {
		extra = t.embedded.Certs().CAPEM()
	}
	pool, err := Trust(opts.CACert, opts.ClassPage, extra, opts.ErrOut, opts.Lang)
	if err != nil {
		return nil, err
	}
	return &client.TLS{Config: &tls.Config{ServerName: t.host, RootCAs: pool, MinVersion: tls.VersionTLS12}}, nil
}

// Trust is the CAs a learner's session trusts: the system's roots, the
// sandbox's CA in the config directory, cacert (a PEM file, may be ""),
// extra (PEM, e.g. an embedded sandbox's CA), and without cacert, the CA
// of the class sandbox whose page is classPage (fetched, and said so on
// note).
func Trust(cacert, classPage string, extra []byte, note io.Writer, lang *i18n.Printer) (*x509.CertPool, error) {
	lang = i18n.Or(lang)
	var files []string
	if cacert != "" {
		files = append(files, cacert)
	}
	pool, err := certs.Trust(files...)
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		pool.AppendCertsFromPEM(extra)
	}
	if classPage != "" && cacert == "" {
		url := strings.TrimSuffix(classPage, "/") + "/ca.pem"
		if pem, err := fetchCA(url); err == nil && pool.AppendCertsFromPEM(pem) {
			fmt.Fprintf(note, "maillab: %s\n", lang.Trf("trusting the class sandbox's CA from %s (on the internet, CAs come with your system, never over plain HTTP)", url))
		} else {
			fmt.Fprintf(note, "maillab: %s\n", lang.Trf("could not fetch the class CA from %s; for TLS, download it and pass --cacert FILE", url))
		}
	}
	return pool, nil
}

// maxCA bounds a fetched CA file.
const maxCA = 64 << 10

// fetchCA downloads a class sandbox's CA certificate from its page.
func fetchCA(url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, i18n.Errorf("%s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxCA))
}

// tlsAdvice says what to do about a failed TLS handshake ("" for other
// errors).
func tlsAdvice(p *i18n.Printer, err error) string {
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &unknown):
		return "\n  " + p.Tr("the server's certificate is signed by a CA you do not trust: pass --cacert FILE (the sandbox prints where its ca.pem is)")
	case errors.As(err, &name):
		return "\n  " + p.Trf("the certificate names another server: %s", name.Error())
	case strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return "\n  " + p.Tr("that port speaks plaintext: leave out --tls, and type STARTTLS (SMTP) or STLS (POP3) to turn TLS on")
	}
	return ""
}
