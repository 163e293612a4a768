package play

import (
	"fmt"
	"strings"

	"maillab/sandbox"
	"maillab/trace"
)

// Diagram draws the path a journey really took, with its hosts: the six
// steps when the message was relayed and fetched, step ② left out when it
// stayed with one provider, the refusal when step ① ended it, and the
// bounce report stored in the sender's mailbox when the next provider
// refused it.
func Diagram(opts Options, res *Result) string {
	opts.setDefaults()
	from, _ := sandbox.ParseAddress(opts.From)
	to, _ := sandbox.ParseAddress(opts.To)
	var b strings.Builder
	fmt.Fprintf(&b, "\n  %-*s%s\n", max(20, 68-trace.DisplayWidth(to.String())), from, to)
	submit := "   (client) ─①─▶ smtp." + from.Domain
	switch {
	case res.Refused != "":
		fmt.Fprintf(&b, "%s  ✗ refused (%s)\n", submit, codes(res.Refused))
		return b.String()
	case res.Bounced:
		fmt.Fprintf(&b, "%s ─②─▶ smtp.%s  ✗ refused (%s)\n", submit, to.Domain, codes(res.Bounce))
		store := "                 smtp." + from.Domain + " ─③─▶ "
		return b.String() + fetchLines(store, res.Mailbox, "(the bounce: a delivery report)")
	case res.Relayed:
		return b.String() + fetchLines(submit+" ─②─▶ smtp."+to.Domain+" ─③─▶ ", res.Mailbox, "")
	}
	return b.String() + fetchLines(submit+" ─③─▶ ", res.Mailbox, "")
}

// fetchLines draws the store into a mailbox (step ③) and the fetch from
// it (steps ④ to ⑥), the corner under the mailbox.
func fetchLines(store, mailbox, aside string) string {
	owner, _ := sandbox.ParseAddress(mailbox)
	box := "[" + owner.Local + "'s mailbox]"
	var b strings.Builder
	b.WriteString(store + box)
	if aside != "" {
		b.WriteString("  " + aside)
	}
	b.WriteString("\n")
	corner := trace.DisplayWidth(store) + trace.DisplayWidth(box)/2
	b.WriteString(strings.Repeat(" ", corner) + "│\n")
	left := "   (client) ◀─⑥─ pop3." + owner.Domain + " ◀"
	dashes := max(corner-trace.DisplayWidth(left)-1, 2)
	b.WriteString(left + strings.Repeat("─", dashes/2) + "⑤" + strings.Repeat("─", dashes-dashes/2) + "┘\n")
	b.WriteString("            ──④─▶\n")
	return b.String()
}

// codes is the reply code and enhanced code of a reply ("550 5.1.1"): the
// transcript below says the rest.
func codes(reply string) string {
	f := strings.Fields(reply)
	return trace.Visible(strings.Join(f[:min(2, len(f))], " "))
}
