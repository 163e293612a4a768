// What a page knows of the sandbox, from its events alone: every event
// kept (bounded), each message's journey with the lines that belong to it,
// each open session. Adding an event costs the same however long the
// history: nothing here touches the page.
"use strict";

const maxEvents = 20000;        // as many as the server keeps for a page
const maxMessages = 400;        // journeys followed; the oldest are forgotten
const maxMessageLines = 2000;   // lines kept for one message
const maxSessionContext = 120;  // a session's lines outside any message, kept for the messages it carries

// The fates of a message, in the order it meets them (a fate only moves
// forward), as the servers' events tell them.
const fateRank = { sending: 1, accepted: 2, refused: 2, queued: 3, deferred: 4, bounced: 5, delivered: 5, retrieved: 6 };

// isError says whether an event is an error answer: 4xx, 5xx or -ERR.
function isError(e) {
  return !!e.status && (e.status[0] === "4" || e.status[0] === "5" || e.status === "-ERR");
}

// shortID is how people name a message: ✉ and the sandbox's counter, the
// last six hex digits of its queue id ("…00000C" is ✉12).
function shortID(id) {
  if (!id) return "";
  const m = /([0-9A-F]{6})$/.exec(id);
  return "✉" + (m ? parseInt(m[1], 16) : id);
}

class History {
  constructor() {
    this.events = [];           // kept events, oldest first (trimmed in halves)
    this.messages = new Map();  // id -> message, oldest first
    this.sessions = new Map();  // id -> open session
    this.seq = 0;               // events added so far
    this.missed = 0;            // events the server could no longer give this page
  }

  // add takes one event and returns the message it belongs to, if any.
  add(e) {
    e.seq = ++this.seq;
    this.events.push(e);
    if (this.events.length > maxEvents * 1.5) this.events = this.events.slice(-maxEvents);
    if (e.action === "dropped" && e.facts) this.missed += e.facts.count || 0;
    const s = e.session ? this.session(e) : null;
    let m = null;
    if (e.message) {
      m = this.message(e.message);
      this.note(m, e);
      if (s && !s.messages.has(m.id)) this.join(s, m);
      this.line(m, e);
    } else if (s) {
      if (s.context.length < maxSessionContext) s.context.push(e);
      for (const id of s.messages) {
        const other = this.messages.get(id);
        if (other) { this.line(other, e); m = m || other; }
      }
    }
    if (s && e.action === "closed") this.sessions.delete(e.session);
    return m;
  }

  session(e) {
    let s = this.sessions.get(e.session);
    if (!s) {
      s = { id: e.session, context: [], messages: new Set(), account: "", claimed: "" };
      this.sessions.set(e.session, s);
      if (this.sessions.size > 4096) this.sessions.delete(this.sessions.keys().next().value);
    }
    if (e.account) s.account = e.account;
    if (e.claimed) s.claimed = e.claimed;
    return s;
  }

  message(id) {
    let m = this.messages.get(id);
    if (!m) {
      m = { id, tag: shortID(id), from: "", to: [], subject: "", step: 0, fate: "", reason: "", bounceOf: "", bounce: "",
        account: "", lines: [], sorted: true, errors: 0, stageErrors: {}, first: 0, last: 0, sessions: new Set() };
      this.messages.set(id, m);
      if (this.messages.size > maxMessages) this.messages.delete(this.messages.keys().next().value);
    }
    return m;
  }

  // join links a session to a message: its lines so far (the greeting,
  // EHLO and login before MAIL; USER and PASS before RETR) are the
  // message's too.
  join(s, m) {
    s.messages.add(m.id);
    m.sessions.add(s.id);
    for (const x of s.context) this.line(m, x);
    m.sorted = false;
  }

  line(m, e) {
    if (m.lines.length >= maxMessageLines) return;
    m.lines.push(e);
    if (!m.first) m.first = e.seq;
    m.last = Math.max(m.last, e.seq);
    if (isError(e)) {
      m.errors++;
      if (e.step) m.stageErrors[e.step] = true;
    }
  }

  // note keeps what the servers said of a message: its envelope (the
  // answers that accepted MAIL and RCPT), its subject, how far it got.
  note(m, e) {
    if (e.sender) m.from = e.sender;
    if (e.recipient && !m.to.includes(e.recipient)) m.to.push(e.recipient);
    if (e.field === "subject" && !m.subject) m.subject = decodeWords(e.line.slice(e.line.indexOf(":") + 1).trim());
    if (e.account && !m.account && e.step === 1) m.account = e.account;
    if (e.bounce_of) {
      m.bounceOf = e.bounce_of;
      const original = this.messages.get(e.bounce_of);
      if (original) original.bounce = m.id;
    }
    if (e.step > m.step) m.step = e.step;
    const [fate, reason] = fateOf(e);
    if (fate && (fateRank[fate] || 0) >= (fateRank[m.fate] || 0)) {
      m.fate = fate;
      if (reason || fate !== "deferred") m.reason = reason || "";
    }
  }

  // linesOf returns a message's lines stage by stage, in the order they
  // happened within each stage (a line outside the six steps, such as a
  // greeting before EHLO told the hop, takes its session's stage; the
  // server stores a message before it answers the final dot, but the
  // answer is told with step 1).
  linesOf(m) {
    if (!m.sorted) {
      const seen = new Set();
      m.lines = m.lines.filter((e) => !seen.has(e.seq) && seen.add(e.seq)).sort((a, b) => a.seq - b.seq);
      m.sorted = true;
    }
    const stageOf = {};
    for (const e of m.lines) if (e.step && e.session && !stageOf[e.session]) stageOf[e.session] = e.step;
    const out = m.lines.map((e) => ({ e, stage: e.step || stageOf[e.session] || 0 }));
    return out.sort((a, b) => a.stage - b.stage || a.e.seq - b.e.seq);
  }

  // newest returns up to n messages, the latest first.
  newest(n) {
    const all = [...this.messages.values()];
    all.sort((a, b) => b.first - a.first);
    return all.slice(0, n);
  }
}

// fateOf is what an event says became of its message, and why.
function fateOf(e) {
  const reason = e.facts && e.facts.reason ? e.facts.reason : "";
  switch (e.action) {
    case "queued": return ["queued", ""];
    case "deferred": return ["deferred", reason];
    case "bounced": return ["bounced", reason];
    case "refused": return ["refused", reason];
    case "stored": return ["delivered", ""];
    case "message-read": return ["retrieved", ""];
  }
  if (e.kind !== "reply" || e.step !== 1) return ["", ""];
  if (e.ends) return /^2/.test(e.status) ? ["accepted", ""] : ["refused", e.line];
  if (e.verb === "MAIL" && /^2/.test(e.status)) return ["sending", ""];
  return ["", ""];
}
