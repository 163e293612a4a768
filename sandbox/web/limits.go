package web

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// The page's limits: no viewer may take the page from the others, and no
// flood of connections may take the process's file descriptors (and with
// them the mail servers').
const (
	maxConnsPerAddress   = 64   // TCP connections from one address, any request (a browser opens 6 per site)
	maxConns             = 4096 // TCP connections in all
	maxViewersPerAddress = 16   // open event streams (tabs) from one address
	maxViewers           = 512  // open event streams in all; the teacher's are not counted
)

// counter counts what each address holds, and the total.
type counter struct {
	mu         sync.Mutex
	perAddress int
	total      int
	by         map[string]int
	all        int
}

func newCounter(perAddress, total int) *counter {
	return &counter{perAddress: perAddress, total: total, by: map[string]int{}}
}

// take counts one more for host, or says why not.
func (c *counter) take(host string) (ok bool, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.by[host] >= c.perAddress:
		return false, fmt.Sprintf("your address has %d open already", c.by[host])
	case c.all >= c.total:
		return false, fmt.Sprintf("the page has %d open already", c.all)
	}
	c.by[host]++
	c.all++
	return true, ""
}

func (c *counter) give(host string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by[host]--; c.by[host] <= 0 {
		delete(c.by, host)
	}
	c.all--
}

// limitedListener refuses connections over the counter's limits with a
// 503 that says why, and closes them.
type limitedListener struct {
	net.Listener
	c *counter
}

func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := hostOf(conn.RemoteAddr())
		ok, why := l.c.take(host)
		if ok {
			return &countedConn{Conn: conn, c: l.c, host: host}, nil
		}
		go refuse(conn, why)
	}
}

// refuse answers a connection the page has no room for.
func refuse(conn net.Conn, why string) {
	conn.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(conn, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"+
		"too many connections (%s): close some tabs, then reload\n", why)
	conn.Close()
}

// countedConn gives its count back when it closes (once).
type countedConn struct {
	net.Conn
	c    *counter
	host string
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.c.give(c.host) })
	return c.Conn.Close()
}

// viewers limits the open event streams of the shared page: a page over
// the limit gets 503 with the reason (the teacher's view is never
// limited).
func (s *Server) viewers(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host := hostPart(r.RemoteAddr)
		ok, why := s.streams.take(host)
		if !ok {
			http.Error(w, "too many pages open ("+why+"): close some tabs, then reload", http.StatusServiceUnavailable)
			return
		}
		defer s.streams.give(host)
		h(w, r)
	}
}

// hostOf is the host part of a connection's address.
func hostOf(a net.Addr) string { return hostPart(a.String()) }

// hostPart is the host of host:port.
func hostPart(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return host
}
