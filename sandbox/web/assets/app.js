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
const accountOf = {};        // session -> account, once it logged in
let paused = false;
let replaying = null;

function matches(e) {
  const f = filterBox.value.trim().toLowerCase();
  if (!f) return true;
  const account = (e.account || accountOf[e.session] || "").toLowerCase();
  return account.includes(f) || (e.session || "").toLowerCase() === f || (e.from + " " + e.to).toLowerCase().includes(f);
}

function receive(e) {
  if (e.session && e.account) accountOf[e.session] = e.account;
  recorded.push(e);
  if (recorded.length > 20000) recorded.shift();
  if (paused || replaying) {
    held.push(e);
    status.textContent = F("%d waiting (paused)", held.length);
    return;
  }
  show(e);
}

function show(e) {
  if (e.action === "closed" || !matches(e)) return;
  appendLine(lines, e);
  light(e);
  envelope(e);
}

// light marks the step that is happening; the ones before stay marked
// as done until a new message starts.
function light(e) {
  if (!e.step) return;
  if (e.step === 1 && e.dir === "server" && /^220/.test(e.line)) {
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
  if (e.facts && e.facts.mailbox) name("name-mailbox", F("%s's mailbox", e.facts.mailbox));
}

function envelope(e) {
  if (e.dir !== "client") return;
  const mail = /^MAIL FROM:\s*<([^>]*)>/i.exec(e.line);
  const rcpt = /^RCPT TO:\s*<([^>]*)>/i.exec(e.line);
  if (mail) {
    document.getElementById("env-from").textContent = mail[1] || L("<> (a bounce)");
    document.getElementById("env-to").textContent = "–";
    document.getElementById("env-subject").textContent = "–";
  }
  if (rcpt) document.getElementById("env-to").textContent = rcpt[1];
  if (e.kind === "data" && /^Subject:/i.test(e.line)) {
    document.getElementById("env-subject").textContent = decodeWords(e.line.slice(8).trim());
  }
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
