package sandbox

import (
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// starttls turns an SMTP session to TLS (RFC 3207): 220, the handshake,
// and then the session starts over, as if just greeted: no HELO name, no
// login, no transaction (section 4.2). Plaintext the client sent after
// STARTTLS is thrown away, unread.
func (s *smtpSession) starttls(arg string) {
	switch {
	case arg != "":
		s.fail(smtp.BadArgs, "STARTTLS takes no argument")
		return
	case s.link.secure:
		s.fail(smtp.AlreadyTLS)
		return
	case s.sb.certs == nil:
		s.reply(smtp.NoTLS)
		return
	}
	s.reply(smtp.ReadyTLS)
	if err := s.sb.startTLS(s.link, s.p.SMTPHost(), s.in.discard()); err != nil {
		s.quit = true // the handshake failed: nothing more can be said
		return
	}
	s.attach()
	s.reset()
	s.state, s.helo, s.esmtp, s.user = smtpGreeted, "", false, nil
	s.link.loggedOut()
}

// stls turns a POP3 session to TLS (RFC 2595), before login only.
func (s *pop3Session) stls() {
	switch {
	case s.link.secure:
		s.fail(pop3.AlreadyTLS)
		return
	case s.sb.certs == nil:
		s.fail(pop3.NoTLS)
		return
	}
	s.reply(pop3.STLS)
	if err := s.sb.startTLS(s.link, s.p.POP3Host(), s.in.discard()); err != nil {
		s.quit = true
		return
	}
	s.attach()
	s.user = ""
}
