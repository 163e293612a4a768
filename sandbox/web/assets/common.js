// Shared by the page and the teacher's view: drawing one event as a
// transcript line. Everything from the network goes in with textContent,
// never as HTML, so nothing a student sends can become markup.
"use strict";

const maxLines = 3000;

function lineElement(e) {
  const li = document.createElement("li");
  li.className = "line " + (e.kind === "internal" ? "internal" : e.dir === "client" ? "client" : "server") + (e.kind === "data" ? " data" : "");
  if (e.tls) {
    li.classList.add("tls");
    li.title = "sent inside TLS: the plaintext the two ends see; on the wire it is ciphertext";
  }
  li.dataset.step = e.step;
  if (e.status && /^[45]|^-ERR/.test(e.status)) li.classList.add("error");
  const tag = document.createElement("span");
  tag.className = "tag";
  const mark = e.tls ? "~" : ":";
  tag.textContent = e.kind === "internal" ? "*" : (e.dir === "client" ? "C" : "S") + mark;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = (e.step ? "①②③④⑤⑥"[e.step - 1] + " " : "") + (e.account || e.session || e.from || "");
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

function appendLine(list, e) {
  const atBottom = list.parentElement.scrollTop + list.parentElement.clientHeight >= list.parentElement.scrollHeight - 40;
  list.append(lineElement(e));
  while (list.children.length > maxLines) list.firstChild.remove();
  if (atBottom) list.parentElement.scrollTop = list.parentElement.scrollHeight;
}

function setupTheme(button) {
  const apply = (dark) => {
    document.body.classList.toggle("dark", dark);
    button.textContent = dark ? "Light" : "Dark";
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
    t = window.prompt("The teacher's token (the sandbox printed it when it started):") || "";
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
  status.textContent = r.ok ? "done: " + text.trim() : "refused (" + r.status + "): " + text.trim();
  return r.ok;
}
