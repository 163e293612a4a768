package main

import (
	"fmt"
	"net"
	"path/filepath"

	"maillab/sandbox"
	"maillab/sandbox/certs"
	"maillab/trace"
)

// openCA opens the sandbox's CA (made on first start): in --maildir when
// given, else in the user's config directory. Its certificates name the
// --listen address too.
func openCA(opts *sandboxOptions) (*certs.Authority, error) {
	if opts.TLS == "off" {
		return nil, nil
	}
	dir := ""
	if opts.Maildir != "" {
		dir = filepath.Join(opts.Maildir, "tls")
	} else {
		var err error
		if dir, err = certs.DefaultDir(); err != nil {
			return nil, err
		}
	}
	var ips []net.IP
	if ip := net.ParseIP(opts.Listen); ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		ips = append(ips, ip)
	} else if ip != nil && ip.IsUnspecified() {
		ips = localAddresses()
	}
	return certs.Open(dir, ips...)
}

// localAddresses are this machine's addresses, for a sandbox that listens
// on all of them.
func localAddresses() []net.IP {
	addrs, _ := net.InterfaceAddrs()
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

// printTLS says where the CA is and how to try TLS.
func printTLS(opts *sandboxOptions, sb *sandbox.Sandbox) {
	ca := sb.Certs()
	if ca == nil {
		return
	}
	out, p := opts.IO.Out, opts.P
	first := sb.Running()[0]
	addr, _ := sb.Addr(first.Domain, trace.SMTP)
	fmt.Fprintln(out, p.Trf("TLS: the sandbox's CA is %s (trust it to verify the servers; its key never leaves that folder)", ca.CAFile()))
	fmt.Fprintln(out, p.Trf("try: %s", "openssl s_client -starttls smtp -connect "+addr+" -servername "+first.SMTPHost()+" -CAfile "+ca.CAFile()))
	if opts.RequireTLS {
		fmt.Fprintln(out, p.Tr("logins need TLS first (--require-tls): AUTH before STARTTLS gets 530 5.7.0"))
	}
}
