package web

import (
	"net/http"

	"maillab/trace/i18n"
)

// pageStrings are the page's own words, by their English (as the HTML and
// the scripts write them); strings.json gives them in the sandbox's
// language and the page rewrites itself with them.
var pageStrings = []string{
	i18n.N("maillab: how an e-mail travels"),
	i18n.N("How an e-mail travels"),
	i18n.N("%d accounts"),
	i18n.N("%d waiting (paused)"),
	i18n.N("%s's mailbox"),
	i18n.N("%s: every line, logins included"),
	i18n.N("450 4.2.1 mailbox busy (retried)"),
	i18n.N("550 5.2.1 mailbox disabled (bounced)"),
	i18n.N("552 5.2.2 mailbox full (bounced)"),
	i18n.N("<> (a bounce)"),
	i18n.N("Choose a row to read that student's session"),
	i18n.N("Dark"),
	i18n.N("Empty every mailbox"),
	i18n.N("From"),
	i18n.N("Inject a fault: the next message to"),
	i18n.N("Inject"),
	i18n.N("Light"),
	i18n.N("Pause"),
	i18n.N("Play the six steps"),
	i18n.N("Replay"),
	i18n.N("Resume"),
	i18n.N("Step"),
	i18n.N("Subject"),
	i18n.N("The teacher's token (the sandbox printed it when it started):"),
	i18n.N("The teacher's view"),
	i18n.N("To"),
	i18n.N("Use token"),
	i18n.N("Waiting for mail. Send some with telnet, a mail client or the button above."),
	i18n.N("account"),
	i18n.N("actions"),
	i18n.N("client"),
	i18n.N("client, smtp.sohu.com, smtp.sina.com, mailbox, pop3.sina.com, client"),
	i18n.N("done: %s"),
	i18n.N("empty mailbox"),
	i18n.N("every line, explained"),
	i18n.N("exercises passed"),
	i18n.N("fault"),
	i18n.N("filter by account or session"),
	i18n.N("give the token the sandbox printed"),
	i18n.N("how the six steps travel"),
	i18n.N("in plaintext"),
	i18n.N("last command"),
	i18n.N("last reply"),
	i18n.N("mailbox"),
	i18n.N("maillab: the teacher's view"),
	i18n.N("on SMTPS/POP3S"),
	i18n.N("received"),
	i18n.N("recipient's"),
	i18n.N("reconnecting…"),
	i18n.N("refused (%s): %s"),
	i18n.N("replaying %d of %d"),
	i18n.N("reset progress"),
	i18n.N("sender's"),
	i18n.N("sent inside TLS: the plaintext the two ends see; on the wire it is ciphertext"),
	i18n.N("sent"),
	i18n.N("sessions"),
	i18n.N("show only: s07, sohu.com, #3…"),
	i18n.N("switch light and dark"),
	i18n.N("teacher's token"),
	i18n.N("the message in flight"),
	i18n.N("the six steps"),
	i18n.N("the token the sandbox printed"),
	i18n.N("the token was refused (%s)"),
	i18n.N("with STARTTLS"),
	i18n.N("① the sender's mail program hands the message to its own provider (SMTP)"),
	i18n.N("② the provider relays it to the recipient's provider (SMTP)"),
	i18n.N("③ the receiving server stores it in the mailbox"),
	i18n.N("④ the recipient's mail program logs in to the POP3 server"),
	i18n.N("⑤ the POP3 server reads the mailbox"),
	i18n.N("⑥ the POP3 server hands the message over"),
}

// pageWords serves the page's words in the sandbox's language.
func (s *Server) pageWords(w http.ResponseWriter, r *http.Request) {
	p := i18n.Or(s.cfg.Lang)
	words := map[string]string{}
	if p.Translates() {
		for _, en := range pageStrings {
			words[en] = p.Tr(en)
		}
	}
	writeJSON(w, map[string]any{"lang": p.Code(), "strings": words})
}
