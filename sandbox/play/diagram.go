package play

import (
	"fmt"
	"strings"

	"maillab/sandbox"
	"maillab/trace"
	"maillab/trace/i18n"
)

// DiagramIn draws the path a journey really took, with its hosts: the six
// steps when the message was relayed and fetched, step ② left out when it
// stayed with one provider, the refusal when step ① ended it, and the
// bounce report stored in the sender's mailbox when the next provider
// refused it; its words in p's language.
func DiagramIn(p *i18n.Printer, opts Options, res *Result) string {
	p = i18n.Or(p)
	opts.setDefaults()
	from, _ := sandbox.ParseAddress(opts.From)
	to, _ := sandbox.ParseAddress(opts.To)
	var b strings.Builder
	fmt.Fprintf(&b, "\n  %-*s%s\n", max(20, 68-trace.DisplayWidth(to.String())), from, to)
	client := "(" + p.Tr("client") + ")"
	submit := "   " + client + " ─①─▶ smtp." + from.Domain
	switch {
	case res.Refused != "":
		fmt.Fprintf(&b, "%s  ✗ %s\n", submit, p.Trf("refused (%s)", codes(res.Refused)))
		return b.String()
	case res.Bounced:
		fmt.Fprintf(&b, "%s ─②─▶ smtp.%s  ✗ %s\n", submit, to.Domain, p.Trf("refused (%s)", codes(res.Bounce)))
		store := strings.Repeat(" ", trace.DisplayWidth(submit)-len(from.Domain)-5) + "smtp." + from.Domain + " ─③─▶ "
		return b.String() + fetchLines(p, store, res.Mailbox, p.Tr("(a bounce)"))
	case res.Relayed:
		return b.String() + fetchLines(p, submit+" ─②─▶ smtp."+to.Domain+" ─③─▶ ", res.Mailbox, "")
	}
	return b.String() + fetchLines(p, submit+" ─③─▶ ", res.Mailbox, "")
}

// fetchLines draws the store into a mailbox (step ③) and the fetch from
// it (steps ④ to ⑥), the corner under the mailbox.
func fetchLines(p *i18n.Printer, store, mailbox, aside string) string {
	owner, _ := sandbox.ParseAddress(mailbox)
	box := "[" + p.Trf("%s's mailbox", owner.Local) + "]"
	var b strings.Builder
	b.WriteString(store + box)
	if aside != "" {
		b.WriteString("  " + aside)
	}
	b.WriteString("\n")
	corner := trace.DisplayWidth(store) + trace.DisplayWidth(box)/2
	b.WriteString(strings.Repeat(" ", corner) + "│\n")
	client := "(" + p.Tr("client") + ")"
	left := "   " + client + " ◀─⑥─ pop3." + owner.Domain + " ◀"
	dashes := max(corner-trace.DisplayWidth(left)-1, 2)
	b.WriteString(left + strings.Repeat("─", dashes/2) + "⑤" + strings.Repeat("─", dashes-dashes/2) + "┘\n")
	b.WriteString(strings.Repeat(" ", 4+trace.DisplayWidth(client)) + "──④─▶\n") // under the client's arrows
	return b.String()
}

// codes is the reply code and enhanced code of a reply ("550 5.1.1"): the
// transcript below says the rest.
func codes(reply string) string {
	f := strings.Fields(reply)
	return trace.Visible(strings.Join(f[:min(2, len(f))], " "))
}
