// Package sandbox is maillab's small world of mail providers: their domains,
// accounts and mailboxes, an SMTP server (RFC 5321, 4954, 3463, 1870) and a
// POP3 server (RFC 1939, 2449) for each, and the relay that carries mail
// from one provider to another.
//
// Everything listens on loopback by default and never relays outside the
// world's own domains.
package sandbox

import (
	"net"
	"sort"
	"strconv"
	"strings"

	"maillab/sandbox/roster"
	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Postmaster is the account every provider has: RFC 5321 section 4.5.1
// says every server must accept mail for it, so that problems can always
// be reported. The teacher reads its mailbox by POP3.
const Postmaster = "postmaster"

// DefaultPassword is the password of every default account. It matches the
// Base64 captured in the source tutorial ("MTIzNDU2").
const DefaultPassword = "123456"

// TLSMode says how a service uses TLS.
type TLSMode string

// The TLS modes of a service.
const (
	PlainText   TLSMode = ""         // plaintext from the first byte
	ImplicitTLS TLSMode = "implicit" // TLS from the first byte (SMTPS, POP3S)
)

// Service is one server of a provider: a protocol spoken under a name on a
// default port.
type Service struct {
	Proto proto.Name // SMTP or POP3
	Host  string     // the server's name, e.g. "smtp.sohu.com"
	Port  int        // default TCP port
	TLS   TLSMode    // how it uses TLS
}

// Provider is one mail provider: a domain, its servers and its accounts.
type Provider struct {
	Domain   string            // e.g. "sohu.com"
	Services []Service         // every server it runs, each on its own listener
	Accounts map[string]string // local part -> password
	Students map[string]bool   // the accounts of a class (their logins are kept from the shared page)
}

// Host returns the name of the provider's first server for proto.
func (p *Provider) Host(name proto.Name) string {
	for _, s := range p.Services {
		if s.Proto == name {
			return s.Host
		}
	}
	return ""
}

// SMTPHost is the name of the provider's SMTP server, e.g. "smtp.sohu.com".
func (p *Provider) SMTPHost() string { return p.Host(trace.SMTP) }

// POP3Host is the name of the provider's POP3 server, e.g. "pop3.sohu.com".
func (p *Provider) POP3Host() string { return p.Host(trace.POP3) }

// Users lists the provider's local parts in order.
func (p *Provider) Users() []string {
	users := make([]string, 0, len(p.Accounts))
	for u := range p.Accounts {
		users = append(users, u)
	}
	sort.Strings(users)
	return users
}

// DemoUsers lists the provider's accounts that are not a class's.
func (p *Provider) DemoUsers() []string {
	var out []string
	for _, u := range p.Users() {
		if !p.Students[u] {
			out = append(out, u)
		}
	}
	return out
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
			Domain: "sohu.com",
			Services: []Service{
				{Proto: trace.SMTP, Host: "smtp.sohu.com", Port: 2525},
				{Proto: trace.SMTP, Host: "smtp.sohu.com", Port: 4465, TLS: ImplicitTLS},
				{Proto: trace.POP3, Host: "pop3.sohu.com", Port: 1110},
				{Proto: trace.POP3, Host: "pop3.sohu.com", Port: 1995, TLS: ImplicitTLS},
			},
			Accounts: map[string]string{"gacl": DefaultPassword, "aaa": DefaultPassword, Postmaster: DefaultPassword},
		},
		{
			Domain: "sina.com",
			Services: []Service{
				{Proto: trace.SMTP, Host: "smtp.sina.com", Port: 2526},
				{Proto: trace.SMTP, Host: "smtp.sina.com", Port: 4466, TLS: ImplicitTLS},
				{Proto: trace.POP3, Host: "pop3.sina.com", Port: 1111},
				{Proto: trace.POP3, Host: "pop3.sina.com", Port: 1996, TLS: ImplicitTLS},
			},
			Accounts: map[string]string{"bbb": DefaultPassword, "gacl": DefaultPassword, Postmaster: DefaultPassword},
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
		if strings.EqualFold(p.SMTPHost(), name) {
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

// ParseAddress splits "local@domain". It refuses empty parts, spaces,
// control characters and anything but ASCII (the servers do not offer
// SMTPUTF8, RFC 6531), so an address is always safe to print.
func ParseAddress(s string) (Address, error) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return Address{}, i18n.Errorf("%q is not an address of the form user@domain", s)
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || r == '<' || r == '>' {
			return Address{}, i18n.Errorf("%q contains a character not allowed in an address", s)
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

// canonical is how an address is compared: an account's stored spelling
// when it is one, the local part as given and the domain in lower case
// when not.
func (w *World) canonical(a Address) string {
	if p, user, ok := w.Account(a); ok {
		return user + "@" + p.Domain
	}
	return a.String()
}

// AddStudents adds a class's accounts to the world. A student's name may
// not be a demo account's.
func (w *World) AddStudents(entries []roster.Entry) error {
	for _, e := range entries {
		p, ok := w.Provider(e.Domain)
		if !ok {
			return i18n.Errorf("%s: no provider %s in the world", e.Address(), e.Domain)
		}
		if _, exists := p.account(e.Account); exists && !p.Students[e.Account] {
			return i18n.Errorf("%s: already a demo account; give the student another name", e.Address())
		}
		if p.Students == nil {
			p.Students = map[string]bool{}
		}
		p.Accounts[e.Account], p.Students[e.Account] = e.Password, true
	}
	return nil
}

// IsStudent reports whether an address is a student's account.
func (w *World) IsStudent(a Address) bool {
	p, user, ok := w.Account(a)
	return ok && p.Students[user]
}

// SetPassword changes the password of an account in every domain that has
// it (the teacher's Postmaster, in class).
func (w *World) SetPassword(local, password string) {
	for _, p := range w.Providers {
		if user, ok := p.account(local); ok {
			p.Accounts[user] = password
		}
	}
}

// Password returns the password of the account an address names.
func (w *World) Password(a Address) (string, bool) {
	p, user, ok := w.Account(a)
	if !ok {
		return "", false
	}
	return p.Accounts[user], true
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

// Name is how people call the service: SMTP, SMTPS (SMTP over implicit
// TLS, RFC 8314), POP3, POP3S.
func (s Service) Name() string {
	if s.TLS == ImplicitTLS {
		return string(s.Proto) + "S"
	}
	return string(s.Proto)
}

// DefaultAddr returns where a service listens on host when every default
// port is moved by offset.
func (s Service) DefaultAddr(host string, offset int) string {
	return net.JoinHostPort(host, strconv.Itoa(s.Port+offset))
}

// DefaultAddr returns where the provider's first plaintext server for
// proto listens on host when every default port is moved by offset.
func (p *Provider) DefaultAddr(name proto.Name, host string, offset int) (string, bool) {
	svc, ok := p.Service(name, PlainText)
	if !ok {
		return "", false
	}
	return svc.DefaultAddr(host, offset), true
}

// Service returns the provider's first service of proto with the TLS mode.
func (p *Provider) Service(name proto.Name, mode TLSMode) (Service, bool) {
	for _, svc := range p.Services {
		if svc.Proto == name && svc.TLS == mode {
			return svc, true
		}
	}
	return Service{}, false
}

// DefaultDomain is the provider a protocol's examples use: the sender's
// (sohu.com) for SMTP, the recipient's (sina.com) for POP3, as in the six
// steps.
func DefaultDomain(name proto.Name) string {
	if strings.EqualFold(string(name), string(proto.POP3)) {
		return "sina.com"
	}
	return "sohu.com"
}
