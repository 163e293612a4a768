package smtp

import "net"

// AddressLiteral names this end of a connection as EHLO wants it when
// the client has no host name of its own: its address in brackets
// ("[127.0.0.1]", "[IPv6:::1]"; RFC 5321 4.1.1.1 and 4.1.3). A user's
// name is no host name.
func AddressLiteral(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return "[127.0.0.1]"
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		return "[IPv6:" + host + "]"
	}
	return "[" + host + "]"
}
