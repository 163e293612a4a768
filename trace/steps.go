package trace

// StepMarks are the circled numbers of the six steps.
var StepMarks = [...]string{"", "①", "②", "③", "④", "⑤", "⑥"}

// StepTitles say in a line what happens in each of the six steps.
var StepTitles = [...]string{
	"",
	"the sender's mail program hands the message to its own provider (SMTP)",
	"the provider sees the recipient lives elsewhere, looks up that domain and relays (SMTP)",
	"the receiving server stores the message in the mailbox",
	"the recipient's mail program logs in to its provider's POP3 server",
	"the POP3 server looks into the mailbox",
	"the POP3 server hands the message over and the client says goodbye (POP3)",
}

// StepMark returns the circled number of a step, or "" outside the flow.
func StepMark(step int) string {
	if step < 1 || step >= len(StepMarks) {
		return ""
	}
	return StepMarks[step]
}

// actionSteps is the step of each action that belongs to one; the others
// take the step of the session they happen in.
var actionSteps = map[Action]int{
	Queued: 2, MXLookup: 2, Relayed: 2, Deferred: 2, Bounced: 2, QueueError: 2,
	Stored:        3,
	MailboxOpened: 4,
	MessageRead:   5,
	Deleted:       6,
	Abandoned:     0, Dropped: 0, LoginDelayed: 0, LoginQueued: 0, AcceptFailing: 0, Verdict: 0,
}

// StepOf numbers the six steps: the only place that does. It reads the
// facts producers record (protocol, hop, direction, the command a line
// answers, the action) and returns 1 to 6, or 0 for what is outside the
// flow (an SMTP greeting before HELO tells the hop, say).
//
//   - SMTP: a submission is step 1, a relay between providers step 2.
//   - Storing in a mailbox is step 3.
//   - POP3: logging in and looking around (STAT, LIST, ...) is step 4;
//     the server reading the mailbox for RETR is step 5; the message
//     handed over (the answer to RETR) and QUIT are step 6.
func StepOf(e Event) int {
	if e.Kind == Internal {
		if step, ok := actionSteps[e.Action]; ok {
			return step
		}
	}
	switch e.Proto {
	case SMTP:
		switch e.Hop {
		case Submission:
			return 1
		case Relay:
			return 2
		}
	case POP3:
		return pop3Step(e)
	}
	return 0
}

// pop3Step is the step of a POP3 line: by the verb its Follower marked
// (the command's, or the one a server line answers).
func pop3Step(e Event) int {
	if e.Action == Closed {
		return 6 // the retrieval is over
	}
	switch e.Verb {
	case "QUIT":
		return 6
	case "RETR":
		if e.Dir == FromServer || e.Kind == Internal {
			return 6
		}
	}
	return 4
}
