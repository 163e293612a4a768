// Shared by the page and the teacher's view: drawing one event as a
// transcript line. Everything from the network goes in with textContent,
// never as HTML, so nothing a student sends can become markup.
"use strict";

const maxLines = 3000;

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

function lineElement(e) {
  const li = document.createElement("li");
  li.className = "line " + (e.kind === "internal" ? "internal" : e.dir === "client" ? "client" : "server") + (e.kind === "data" ? " data" : "");
  if (e.tls) {
    li.classList.add("tls");
    li.title = L("sent inside TLS: the plaintext the two ends see; on the wire it is ciphertext");
  }
  li.dataset.step = e.step;
  if (e.status && /^[45]|^-ERR/.test(e.status)) li.classList.add("error");
  const tag = document.createElement("span");
  tag.className = "tag";
  const mark = e.tls ? "~" : ":";
  tag.textContent = e.kind === "internal" ? "*" : (e.dir === "client" ? "C" : "S") + mark;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = (e.step ? "①②③④⑤⑥"[e.step - 1] + " " : "") + label(e);
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = e.line;
  li.append(tag, who, text);
  if (e.note) {
    const note = document.createElement("span");
    note.className = "note";
    note.textContent = e.note;
    li.append(note);
  }
  return li;
}

// label names a line's session for people: its id and the account it
// logged in as, or the client's address; an action by who acts.
function label(e) {
  if (!e.session) return e.from || "";
  if (e.account) return e.session + " " + e.account;
  if (e.claimed) return e.session + " (" + e.claimed + "?)";
  return e.session;
}

function appendLine(list, e) {
  const atBottom = list.parentElement.scrollTop + list.parentElement.clientHeight >= list.parentElement.scrollHeight - 40;
  list.append(lineElement(e));
  while (list.children.length > maxLines) list.firstChild.remove();
  if (atBottom) list.parentElement.scrollTop = list.parentElement.scrollHeight;
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

function token() {
  let t = sessionStorage.getItem("maillab-token");
  if (!t) {
    t = window.prompt(L("The teacher's token (the sandbox printed it when it started):")) || "";
    if (t) sessionStorage.setItem("maillab-token", t);
  }
  return t;
}

async function teacherPost(path, body, status) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "Authorization": "Bearer " + token(), "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  const text = await r.text();
  if (r.status === 403) sessionStorage.removeItem("maillab-token");
  status.textContent = r.ok ? F("done: %s", text.trim()) : F("refused (%s): %s", r.status, text.trim());
  return r.ok;
}
