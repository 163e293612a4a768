package sandbox

import (
	"encoding/base64"
	"errors"
	"strings"

	"maillab/trace/i18n"
	"maillab/trace/proto/smtp"
)

// The AUTH LOGIN challenges (RFC 4954 leaves them to the server; these are
// the ones every server sends): Base64 of "Username:" and "Password:".
const (
	challengeUsername = "VXNlcm5hbWU6"
	challengePassword = "UGFzc3dvcmQ6"
)

// errAuthCancelled is a client's "*" answer to a challenge.
var errAuthCancelled = i18n.NewError("authentication cancelled")

// errBadBase64 is an answer that is not valid Base64.
var errBadBase64 = i18n.NewError("bad base64")

// auth handles AUTH LOGIN and AUTH PLAIN (RFC 4954, RFC 4616), with or
// without an initial response.
func (s *smtpSession) auth(arg string) {
	switch {
	case s.state == smtpGreeted || !s.esmtp:
		s.fail(smtp.NeedEhlo)
		return
	case s.user != nil:
		s.fail(smtp.AlreadyAuth)
		return
	case s.state >= smtpMail:
		s.fail(smtp.AuthInMail)
		return
	case s.sb.cfg.RequireTLS && !s.link.secure:
		s.fail(smtp.NeedTLS)
		return
	}
	mechanism, initial, _ := strings.Cut(arg, " ")
	var name, password string
	var err error
	switch strings.ToUpper(mechanism) {
	case "LOGIN":
		name, password, err = s.authLogin(strings.TrimSpace(initial))
	case "PLAIN":
		name, password, err = s.authPlain(strings.TrimSpace(initial))
	case "":
		s.fail(smtp.BadArgs, "AUTH LOGIN or AUTH PLAIN")
		return
	default:
		s.fail(smtp.BadMechanism, printable(mechanism, 20))
		return
	}
	if errors.Is(err, errBadPlain) {
		s.badAuth()
		return
	}
	if err != nil {
		s.authError(err)
		return
	}
	var addr Address
	switch s.sb.attempt(s.link.raw.RemoteAddr(), s.p, name, func() (ok bool) {
		addr, ok = s.p.Login(name, password)
		return ok
	}) {
	case loginBusy:
		s.fail(smtp.AuthBusy)
		return
	case loginFailed:
		s.badAuth()
		return
	}
	if !s.link.seat.loggedIn(addr) {
		s.reply(smtp.AccountBusy, s.p.SMTPHost())
		s.quit = true
		return
	}
	s.user = &addr
	s.link.loggedIn(addr)
	s.reply(smtp.AuthOK)
}

// authError answers a failed exchange: a cancel, bad Base64, or a dropped
// connection (nothing to answer).
func (s *smtpSession) authError(err error) {
	switch {
	case errors.Is(err, errAuthCancelled):
		s.reply(smtp.AuthCancelled)
	case errors.Is(err, errBadBase64):
		s.fail(smtp.BadBase64)
	case errors.Is(err, errLineTooLong):
		s.fail(smtp.LineTooLong, maxAuthLine+2)
	default:
		s.lineError(err)
		s.quit = true
	}
}

// badAuth answers a wrong name or password; after maxAuthFails the
// connection is closed.
func (s *smtpSession) badAuth() {
	s.badAuths++
	if s.badAuths >= maxAuthFails {
		s.reply(smtp.AuthFailed)
		s.reply(smtp.TooManyAuth, s.p.SMTPHost())
		s.quit = true
		return
	}
	s.reply(smtp.AuthFailed)
}

// authLogin runs AUTH LOGIN: the user name, then the password, each in
// Base64 after a 334 challenge. The user name may come with the command.
func (s *smtpSession) authLogin(initial string) (name, password string, err error) {
	if initial == "" {
		if name, err = s.challenge(challengeUsername); err != nil {
			return "", "", err
		}
	} else if name, err = decodeAnswer(initial); err != nil {
		return "", "", err
	}
	if password, err = s.challenge(challengePassword); err != nil {
		return "", "", err
	}
	return name, password, nil
}

// authPlain runs AUTH PLAIN: one Base64 answer holding
// authzid NUL authcid NUL password.
func (s *smtpSession) authPlain(initial string) (name, password string, err error) {
	answer := initial
	if answer == "" {
		if answer, err = s.challenge(""); err != nil {
			return "", "", err
		}
	} else if answer, err = decodeAnswer(initial); err != nil {
		return "", "", err
	}
	fields := strings.Split(answer, "\x00")
	if len(fields) != 3 || (fields[0] != "" && fields[0] != fields[1]) {
		return "", "", errBadPlain
	}
	return fields[1], fields[2], nil
}

// errBadPlain is an AUTH PLAIN answer without its three NUL-separated
// fields (or asking to act as another user); it fails like a wrong password.
var errBadPlain = i18n.NewError("malformed AUTH PLAIN answer")

// challenge sends "334 text" and returns the client's decoded answer.
func (s *smtpSession) challenge(text string) (string, error) {
	s.reply(smtp.Challenge, text)
	line, err := s.in.readLine(maxAuthLine)
	if err != nil {
		return "", err
	}
	return decodeAnswer(string(line))
}

// decodeAnswer decodes one Base64 answer; "*" cancels and "=" is empty
// (RFC 4954 section 4). Padding may be left out.
func decodeAnswer(answer string) (string, error) {
	answer = strings.TrimSpace(answer)
	switch answer {
	case "*":
		return "", errAuthCancelled
	case "=":
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(answer)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(answer); err != nil {
			return "", errBadBase64
		}
	}
	return string(b), nil
}
