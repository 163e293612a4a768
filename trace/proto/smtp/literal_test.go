package smtp

import (
	"net"
	"testing"
)

func TestAddressLiteral(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, "[127.0.0.1]"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 5000}, "[IPv6:::1]"},
		{&net.UnixAddr{Name: "/tmp/x", Net: "unix"}, "[127.0.0.1]"},
	} {
		if got := AddressLiteral(tc.addr); got != tc.want {
			t.Errorf("AddressLiteral(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
