package client

import (
	"bufio"
	"crypto/tls"
	"strings"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// TLS says how a Session uses TLS: a configuration (the server's name and
// the roots to trust), and whether a certificate that does not verify is
// only reported (opportunistic TLS, as between mail servers) or refused
// (as a mail program does).
type TLS struct {
	Config        *tls.Config
	Opportunistic bool
}

// config returns a configuration that verifies as t says, recording the
// verification's outcome in *verifyErr.
func (t *TLS) config(verifyErr *error) *tls.Config {
	cfg := t.Config.Clone()
	host, roots := cfg.ServerName, cfg.RootCAs
	cfg.InsecureSkipVerify = true // verified below, so the outcome can be shown
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		*verifyErr = trace.Verify(cs, host, roots)
		if *verifyErr != nil && !t.Opportunistic {
			return *verifyErr
		}
		return nil
	}
	return cfg
}

// handshake runs a TLS handshake over the session's TCP connection and
// puts the tap above it.
func (s *Session) handshake() error {
	var verifyErr error
	below := s.raw
	var meter *trace.Meter
	if s.tapped {
		meter = trace.NewMeter(s.raw)
		below = meter
	}
	tc := tls.Client(below, s.tls.config(&verifyErr))
	s.raw.SetDeadline(time.Now().Add(s.timeout))
	if err := tc.Handshake(); err != nil {
		return i18n.Errorf("TLS handshake: %w", err)
	}
	s.raw.SetDeadline(time.Time{})
	s.tap.Upgrade(tc, meter)
	if s.tapped {
		s.tap.Handshake(tc.ConnectionState(), nil, verifyErr)
	}
	s.conn = s.tap
	s.r = bufio.NewReader(s.conn)
	s.Secure, s.TLSState, s.VerifyErr = true, tc.ConnectionState(), verifyErr
	return nil
}

// startsTLS reports whether a line and its answer begin a TLS handshake:
// STARTTLS answered 220, or STLS answered +OK.
func (s *Session) startsTLS(line string, answer []string) bool {
	verb := strings.ToUpper(strings.TrimSpace(line))
	last := answer[len(answer)-1]
	return s.Proto == proto.SMTP && verb == "STARTTLS" && strings.HasPrefix(last, "220") ||
		s.Proto == proto.POP3 && verb == "STLS" && strings.HasPrefix(answer[0], "+OK")
}

// upgrade follows a STARTTLS (or STLS) the server accepted: the
// handshake, then a conversation that starts over (RFC 3207 4.2).
func (s *Session) upgrade() error {
	if s.tls == nil {
		return i18n.Errorf("the server is ready for TLS, but no TLS was set up for this session")
	}
	if err := s.handshake(); err != nil {
		s.closed.Store(true)
		s.raw.Close()
		return err
	}
	return nil
}
