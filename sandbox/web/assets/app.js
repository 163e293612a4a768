// The projector page: the six steps lit as events arrive, the envelope of
// the message in flight, and the transcript beside them.
"use strict";

const lines = document.getElementById("lines");
const filterBox = document.getElementById("filter");
const pauseButton = document.getElementById("pause");
const stepButton = document.getElementById("step");
const status = document.getElementById("status");
const caption = document.getElementById("caption");
const titles = ["",
  "① the sender's mail program hands the message to its own provider (SMTP)",
  "② the provider relays it to the recipient's provider (SMTP)",
  "③ the receiving server stores it in the mailbox",
  "④ the recipient's mail program logs in to the POP3 server",
  "⑤ the POP3 server reads the mailbox",
  "⑥ the POP3 server hands the message over"];

const recorded = [];         // every event received, for replay
const held = [];             // events that came while paused
const messages = {};         // message id -> {from, to, subject}, from the servers' marks
let paused = false;
let replaying = null;
let current = "";            // the message the diagram and envelope show

// matches says whether the filter lets e through: an account (logged in
// or only claimed), a message id, a session id (#12, whole), a server.
function matches(e) {
  const f = filterBox.value.trim().toLowerCase();
  if (!f) return true;
  const who = [e.account, e.claimed, e.recipient, e.sender, e.message, e.bounce_of].filter(Boolean).join(" ").toLowerCase();
  return who.includes(f) || (e.session || "").toLowerCase() === f || (e.from + " " + e.to).toLowerCase().includes(f);
}

function receive(e) {
  note(e);
  recorded.push(e);
  if (recorded.length > 20000) recorded.shift();
  if (paused || replaying) {
    held.push(e);
    status.textContent = F("%d waiting (paused)", held.length);
    return;
  }
  show(e);
}

// note keeps what the servers said of each message: its envelope (the
// answers that accepted MAIL and RCPT) and its subject (the header line
// the follower marked).
function note(e) {
  if (!e.message) return;
  const m = messages[e.message] = messages[e.message] || { from: "", to: [], subject: "" };
  if (e.sender) m.from = e.sender;
  if (e.recipient && !m.to.includes(e.recipient)) m.to.push(e.recipient);
  if (e.field === "subject" && !m.subject) m.subject = decodeWords(e.line.slice(e.line.indexOf(":") + 1).trim());
}

function show(e) {
  if (e.action === "closed" || !matches(e)) return;
  appendLine(lines, e);
  light(e);
  envelope(e);
}

// light marks the step that is happening; the ones before stay marked
// as done until another message is shown.
function light(e) {
  if (!e.step) return;
  if (e.message && e.message !== current) {
    current = e.message;
    document.querySelectorAll(".step").forEach((s) => s.classList.remove("done", "lit"));
  }
  document.querySelectorAll(".step.lit").forEach((s) => { s.classList.remove("lit"); s.classList.add("done"); });
  document.getElementById("step-" + e.step).classList.add("lit");
  caption.textContent = L(titles[e.step]);
  const name = (id, text) => { if (text) document.getElementById(id).textContent = text; };
  const server = e.dir === "server" ? e.from : e.to;
  if (e.step === 1 && e.kind !== "internal") name("name-smtp-from", server);
  if (e.step === 2 && e.kind !== "internal") name("name-smtp-to", server);
  if (e.step >= 4 && e.kind !== "internal" && e.proto === "POP3") name("name-pop3", server);
  if (e.to_role === "mailbox") name("name-mailbox", F("%s's mailbox", e.to));
}

// envelope shows the message a line belongs to, as the servers saw it.
function envelope(e) {
  const m = e.message && messages[e.message];
  if (!m) return;
  document.getElementById("env-from").textContent = m.from === "<>" ? L("<> (a bounce)") : (m.from || "–");
  document.getElementById("env-to").textContent = m.to.join(", ") || "–";
  document.getElementById("env-subject").textContent = m.subject || "–";
}

// decodeWords decodes the RFC 2047 encoded-words of a header value
// (=?GBK?B?...?=), as the browser reads charsets; a word it cannot decode
// stays as it is.
function decodeWords(value) {
  const joined = value.replace(/(\?=)\s+(=\?)/g, "$1$2"); // space between two words is not text
  return joined.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (word, charset, enc, text) => {
    try {
      const raw = enc.toUpperCase() === "B" ? atob(text)
        : text.replace(/_/g, " ").replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
      return new TextDecoder(charset, { fatal: true }).decode(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
    } catch (err) {
      return word;
    }
  });
}

function connect() {
  const es = new EventSource("events");
  es.onmessage = (m) => receive(JSON.parse(m.data));
  es.onerror = () => { status.textContent = L("reconnecting…"); };
  es.onopen = () => { status.textContent = ""; };
}

pauseButton.addEventListener("click", () => {
  paused = !paused;
  pauseButton.textContent = paused ? L("Resume") : L("Pause");
  stepButton.disabled = !paused;
  if (!paused) {
    while (held.length) show(held.shift());
    status.textContent = "";
  }
});

stepButton.addEventListener("click", () => {
  if (held.length) show(held.shift());
  status.textContent = F("%d waiting (paused)", held.length);
});

// replay draws the recorded events again, one by one: what happened,
// never a made-up session.
document.getElementById("replay").addEventListener("click", () => {
  if (replaying) return;
  lines.replaceChildren();
  const queue = recorded.filter((e) => matches(e) && e.action !== "closed");
  let i = 0;
  replaying = setInterval(() => {
    if (paused) return;
    if (i >= queue.length) {
      clearInterval(replaying);
      replaying = null;
      while (held.length) show(held.shift());
      status.textContent = "";
      return;
    }
    show(queue[i++]);
    status.textContent = F("replaying %d of %d", i, queue.length);
  }, 250);
});

document.getElementById("play").addEventListener("click", () =>
  teacherPost("api/play", { tls: document.getElementById("play-tls").value }, status));
filterBox.addEventListener("input", () => {
  lines.replaceChildren();
  recorded.filter((e) => matches(e) && e.action !== "closed").slice(-maxLines).forEach((e) => appendLine(lines, e));
});
setupTheme(document.getElementById("theme"));
localize();
connect();
