// Package sandbox is maillab's small world of mail providers: their domains,
// accounts and mailboxes, an SMTP server (RFC 5321, 4954, 3463, 1870) and a
// POP3 server (RFC 1939, 2449) for each, and the relay that carries mail
// from one provider to another.
//
// Everything listens on loopback by default and never relays outside the
// world's own domains.
package sandbox

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// DefaultPassword is the password of every default account. It matches the
// Base64 captured in the source tutorial ("MTIzNDU2").
const DefaultPassword = "123456"

// Provider is one mail provider: a domain, its servers and its accounts.
type Provider struct {
	Domain   string            // e.g. "sohu.com"
	SMTPHost string            // the SMTP server's name, e.g. "smtp.sohu.com"
	POP3Host string            // the POP3 server's name, e.g. "pop3.sohu.com"
	SMTPPort int               // default TCP port of the SMTP server
	POP3Port int               // default TCP port of the POP3 server
	Accounts map[string]string // local part -> password
}

// Users lists the provider's local parts in order.
func (p *Provider) Users() []string {
	users := make([]string, 0, len(p.Accounts))
	for u := range p.Accounts {
		users = append(users, u)
	}
	sort.Strings(users)
	return users
}

// World is the set of providers that exist in the sandbox.
type World struct {
	Providers []*Provider
}

// DefaultWorld returns the world of the design: sohu.com with gacl and aaa,
// sina.com with bbb and gacl, every password 123456.
func DefaultWorld() *World {
	return &World{Providers: []*Provider{
		{
			Domain: "sohu.com", SMTPHost: "smtp.sohu.com", POP3Host: "pop3.sohu.com",
			SMTPPort: 2525, POP3Port: 1110,
			Accounts: map[string]string{"gacl": DefaultPassword, "aaa": DefaultPassword},
		},
		{
			Domain: "sina.com", SMTPHost: "smtp.sina.com", POP3Host: "pop3.sina.com",
			SMTPPort: 2526, POP3Port: 1111,
			Accounts: map[string]string{"bbb": DefaultPassword, "gacl": DefaultPassword},
		},
	}}
}

// Provider returns the provider of domain (case-insensitive).
func (w *World) Provider(domain string) (*Provider, bool) {
	for _, p := range w.Providers {
		if strings.EqualFold(p.Domain, domain) {
			return p, true
		}
	}
	return nil, false
}

// IsServerName reports whether name is one of the world's SMTP host names,
// as a relaying provider announces itself in EHLO.
func (w *World) IsServerName(name string) bool {
	for _, p := range w.Providers {
		if strings.EqualFold(p.SMTPHost, name) {
			return true
		}
	}
	return false
}

// Address is a parsed mailbox address, local@domain, with the domain in
// lower case.
type Address struct {
	Local  string
	Domain string
}

// String returns local@domain.
func (a Address) String() string { return a.Local + "@" + a.Domain }

// ParseAddress splits "local@domain". It refuses empty parts, spaces and
// control characters.
func ParseAddress(s string) (Address, error) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return Address{}, fmt.Errorf("%q is not an address of the form user@domain", s)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return Address{}, fmt.Errorf("%q contains a character not allowed in an address", s)
		}
	}
	return Address{Local: s[:at], Domain: strings.ToLower(s[at+1:])}, nil
}

// Account finds the account an address names, with the local part matched
// case-insensitively.
func (w *World) Account(a Address) (*Provider, string, bool) {
	p, ok := w.Provider(a.Domain)
	if !ok {
		return nil, "", false
	}
	user, ok := p.account(a.Local)
	return p, user, ok
}

// account finds a local part case-insensitively and returns its stored
// spelling.
func (p *Provider) account(local string) (string, bool) {
	if _, ok := p.Accounts[local]; ok {
		return local, true
	}
	for u := range p.Accounts {
		if strings.EqualFold(u, local) {
			return u, true
		}
	}
	return "", false
}

// Login checks a user name and password against the provider's accounts.
// The name may be the local part ("gacl") or the full address
// ("gacl@sohu.com"). It returns the account's address.
func (p *Provider) Login(name, password string) (Address, bool) {
	local := name
	if at := strings.LastIndexByte(name, '@'); at >= 0 {
		if !strings.EqualFold(name[at+1:], p.Domain) {
			return Address{}, false
		}
		local = name[:at]
	}
	user, ok := p.account(local)
	if !ok || p.Accounts[user] != password {
		return Address{}, false
	}
	return Address{Local: user, Domain: p.Domain}, true
}

// Ports says where a provider's servers listen.
type Ports struct {
	SMTP string // host:port
	POP3 string // host:port
}

// DefaultPorts returns the addresses a provider's servers use on host when
// every default port is moved by offset.
func (p *Provider) DefaultPorts(host string, offset int) Ports {
	return Ports{
		SMTP: net.JoinHostPort(host, strconv.Itoa(p.SMTPPort+offset)),
		POP3: net.JoinHostPort(host, strconv.Itoa(p.POP3Port+offset)),
	}
}
