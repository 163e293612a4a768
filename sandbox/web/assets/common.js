// Shared by the projector page and the teacher's view: the page's words,
// drawing one event as a transcript line, the theme and the zoom.
// Everything from the network goes in with textContent, never as HTML, so
// nothing a student sends can become markup; and control characters and
// bidirectional overrides are shown escaped (the server escapes them too).
"use strict";

// The page's own words come in the sandbox's language (strings.json): L
// translates a text, F a text with %s and %d filled in order.
let strings = {};
function L(s) { return strings[s] || s; }
function F(s, ...args) { let i = 0; return L(s).replace(/%[sd]/g, () => String(args[i++])); }

// localize loads the words and rewrites the page's static text with them.
async function localize() {
  try {
    const r = await fetch("strings.json");
    const j = await r.json();
    strings = j.strings || {};
    document.documentElement.lang = j.lang || "en";
  } catch (err) {
    return;
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue.trim();
    if (t && strings[t]) n.nodeValue = n.nodeValue.replace(t, strings[t]);
  }
  document.querySelectorAll("[placeholder],[aria-label],[title]").forEach((el) => {
    for (const a of ["placeholder", "aria-label", "title"]) {
      const v = el.getAttribute(a);
      if (v && strings[v]) el.setAttribute(a, strings[v]);
    }
  });
  document.title = L(document.title);
}

// visible shows what a terminal or a page could obey as an escape: C0
// controls but tab, DEL and C1 controls, the bidirectional marks and
// overrides (as the server's trace.Visible does).
const invisible = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
function visible(s) {
  if (!s) return "";
  return String(s).replace(invisible, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x80 ? "\\x" + n.toString(16).padStart(2, "0") : "\\u" + n.toString(16).padStart(4, "0");
  });
}

// el makes an element with a class and a text.
function el(tag, cls, text) {
  const x = document.createElement(tag);
  if (cls) x.className = cls;
  if (text !== undefined && text !== null) x.textContent = visible(text);
  return x;
}

const stepMarks = ["", "①", "②", "③", "④", "⑤", "⑥"];

// label names a line's session for people: its id and the account it
// logged in as (or only claimed, with a question mark).
function label(e) {
  if (!e.session) return e.from || "";
  if (e.account) return e.session + " " + e.account;
  if (e.claimed) return e.session + " " + e.claimed + "?";
  return e.session;
}

// lineElement draws one event: who said it (unless compact: a heading
// said it), the line, what it means.
function lineElement(e, stage, compact) {
  const li = el("li", "line " + (e.kind === "internal" ? "internal" : e.dir === "client" ? "client" : "server") + (e.kind === "data" ? " data" : "") + (compact ? " compact" : ""));
  if (e.tls) {
    li.classList.add("tls");
    li.title = L("sent inside TLS: the plaintext the two ends see; on the wire it is ciphertext");
  }
  if (isError(e) || e.action === "verdict" && e.facts && e.facts.count) li.classList.add("error");
  else if (e.action === "verdict" && e.facts && e.facts.findings) li.classList.add("caution");
  const step = stage !== undefined ? stage : e.step;
  li.dataset.step = step || 0;
  const mark = e.tls ? "~" : ":";
  li.append(el("span", "tag", e.kind === "internal" ? "*" : (e.dir === "client" ? "C" : "S") + mark));
  const who = el("span", "who", compact ? "" : (step ? stepMarks[step] + " " : "") + label(e));
  if (e.message && !compact) who.append(el("span", "mtag", " " + shortID(e.message)));
  li.append(who, el("span", "text", e.line));
  if (e.note) li.append(el("span", "note", e.note));
  return li;
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

function setupTheme(button) {
  const apply = (dark) => {
    document.body.classList.toggle("dark", dark);
    button.textContent = dark ? L("Light") : L("Dark");
  };
  apply(localStorage.getItem("maillab-theme") === "dark");
  button.addEventListener("click", () => {
    const dark = !document.body.classList.contains("dark");
    localStorage.setItem("maillab-theme", dark ? "dark" : "light");
    apply(dark);
  });
}

// setupZoom makes everything larger or smaller (buttons, and + - 0 on
// the keyboard), remembered for the next visit.
function setupZoom(smaller, larger) {
  let zoom = parseFloat(localStorage.getItem("maillab-zoom")) || 1;
  const apply = () => {
    zoom = Math.min(2, Math.max(0.6, Math.round(zoom * 10) / 10));
    document.documentElement.style.setProperty("--zoom", zoom);
    localStorage.setItem("maillab-zoom", zoom);
  };
  apply();
  smaller.addEventListener("click", () => { zoom -= 0.1; apply(); });
  larger.addEventListener("click", () => { zoom += 0.1; apply(); });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.matches("input, select, textarea") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "+" || ev.key === "=") { zoom += 0.1; apply(); }
    if (ev.key === "-" || ev.key === "_") { zoom -= 0.1; apply(); }
    if (ev.key === "0") { zoom = 1; apply(); }
  });
}

// ago says how long ago a time was, in the page's words.
function ago(time) {
  if (!time) return "–";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
  if (s < 60) return F("%ds ago", s);
  if (s < 3600) return F("%d min ago", Math.floor(s / 60));
  return F("%d h ago", Math.floor(s / 3600));
}

// fateWord says a message's fate in the page's words.
function fateWord(fate) {
  switch (fate) {
    case "sending": return L("being sent");
    case "accepted": return L("accepted");
    case "refused": return L("refused");
    case "queued": return L("queued for relay");
    case "deferred": return L("deferred, retried");
    case "bounced": return L("bounced");
    case "delivered": return L("delivered");
    case "retrieved": return L("retrieved");
  }
  return "";
}

// stepDots shows how far a message got: the steps it reached, lit.
function stepDots(step, errorStep) {
  const span = el("span", "dots");
  span.title = step ? F("reached step %d of 6", step) : L("no message yet");
  for (let i = 1; i <= 6; i++) {
    const d = el("span", "dot" + (i <= step ? " on" : "") + (i === errorStep ? " bad" : ""), stepMarks[i]);
    span.append(d);
  }
  return span;
}

// Batched rendering: work queued by the event stream runs once per frame
// (or, in a hidden tab, every half second), so a burst of events costs
// one layout, not one per event. stats are the page's own measurements:
// how late events are shown, and the work per event.
const stats = { shown: 0, work: 0, lags: [], maxLags: 5000 };
window.maillabStats = stats;
function batcher(flush) {
  let queued = [];
  let scheduled = false;
  const run = () => {
    scheduled = false;
    const batch = queued;
    queued = [];
    const t0 = performance.now();
    flush(batch);
    stats.work += performance.now() - t0;
    stats.shown += batch.length;
    const now = Date.now();
    for (const e of batch) {
      if (!e.time) continue;
      if (stats.lags.length >= stats.maxLags) stats.lags.shift();
      stats.lags.push(now - Date.parse(e.time));
    }
  };
  // A hidden tab draws every 200 ms at most (the browser may wait
  // longer), and at once when it is shown again.
  document.addEventListener("visibilitychange", () => { if (!document.hidden && queued.length) run(); });
  return (e) => {
    queued.push(e);
    if (scheduled) return;
    scheduled = true;
    if (document.hidden) setTimeout(run, 200);
    else requestAnimationFrame(run);
  };
}

// appendAll appends items to a list (its own scroll box) that follows
// the newest while scrolled to the bottom, keeping at most max of them,
// with one layout read per batch.
function appendAll(list, items, max) {
  if (!items.length) return;
  const box = list;
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
  const frag = document.createDocumentFragment();
  for (const it of items.slice(-max)) frag.append(it);
  list.append(frag);
  let extra = list.children.length - max;
  while (extra-- > 0) list.firstChild.remove();
  if (atBottom) box.scrollTop = box.scrollHeight;
}
