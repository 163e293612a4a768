// The projector page: the messages of the class, one at a time on the
// diagram (the one chosen, or the latest, paced so the room can follow),
// told stage by stage; every line live beside it; and the class at a
// glance, a tile per student. Nothing here acts on the sandbox: the
// teacher's actions are on the teacher's view, behind the token.
"use strict";

const model = new History();
const diagram = new Diagram();
const $ = (id) => document.getElementById(id);
const linesList = $("lines"), lanesList = $("lanes"), status = $("status"), caption = $("caption");
const filterBox = $("filter");

const maxLiveLines = 400;    // lines in the live transcript's DOM
const maxLanes = 30;         // messages listed
const followPause = 3000;    // live: the diagram moves to another message at most this often (ms)

// What the page shows: live (the latest message, every line), or one
// chosen message told stage by stage.
const view = {
  chosen: "",      // the message told stage by stage ("": live)
  shown: 0,        // its stages shown so far
  rendered: 0,     // its lines drawn in the transcript
  following: "",   // live: the message the diagram follows
  followedAt: 0,
  replay: null,    // a replay in progress: {lines, i, timer, paused}
};

// matches says whether the filter lets e through: an account (logged in
// or only claimed), a message (its id or ✉N), a session (#12, whole), a
// server or client.
function matches(e) {
  const f = filterBox.value.trim().toLowerCase();
  if (!f) return true;
  const who = [e.account, e.claimed, e.recipient, e.sender, e.message, shortID(e.message), e.bounce_of].filter(Boolean).join(" ").toLowerCase();
  return who.includes(f) || (e.session || "").toLowerCase() === f || (e.from + " " + e.to).toLowerCase().includes(f);
}

function messageMatches(m) {
  const f = filterBox.value.trim().toLowerCase();
  if (!f) return true;
  return [m.id, m.tag, m.from, m.account, m.subject, ...m.to].join(" ").toLowerCase().includes(f);
}

// --- live ---

const render = batcher((batch) => {
  const items = [];
  let touched = false;
  for (const e of batch) {
    if (e.action === "closed") continue;
    if (!view.chosen && matches(e)) items.push(lineElement(e));
    if (e.message || e.session) touched = true;
  }
  if (!view.chosen) appendAll(linesList, items, maxLiveLines);
  if (view.chosen) growChosen();
  else if (touched) follow();
  lanesSoon();
  if (model.missed) status.textContent = F("this page began late: the %d oldest events are no longer kept", model.missed);
});

// follow moves the diagram, in live mode, to the message with the latest
// line, but not more often than followPause, so the room can read it.
function follow() {
  let latest = null;
  for (const m of model.messages.values()) if (!latest || m.last > latest.last) latest = m;
  if (!latest) return;
  const now = Date.now();
  if (latest.id !== view.following && now - view.followedAt < followPause && model.messages.has(view.following)) {
    setTimeout(() => { if (!view.chosen) follow(); }, followPause);
  } else if (latest.id !== view.following) {
    view.following = latest.id;
    view.followedAt = now;
  }
  const m = model.messages.get(view.following);
  if (!m) return;
  const lines = model.linesOf(m);
  const current = lines.length ? lines[lines.length - 1].stage : 0;
  diagram.show(m, lines, m.step, current);
  caption.textContent = current ? L(stepTitles[current]) : "";
  envelope(m);
  $("transcript-title").textContent = L("Every line, live");
}

// --- one message, stage by stage ---

// choose tells one message stage by stage, starting with its first stage
// (or, live again, with "").
function choose(id, fromStart) {
  stopReplay();
  view.chosen = id;
  view.rendered = 0;
  linesList.replaceChildren();
  document.body.classList.toggle("chosen", !!id);
  if (!id) {
    for (const e of model.events.slice(-maxLiveLines)) if (e.action !== "closed" && matches(e)) linesList.append(lineElement(e));
    linesList.scrollTop = linesList.scrollHeight;
    view.following = "";
    follow();
    lanes();
    return;
  }
  const m = model.messages.get(id);
  view.shown = fromStart ? firstStage(m) : m.step;
  drawChosen();
  lanes();
}

// stagesOf lists the stages a message's lines have, in order.
function stagesOf(m) {
  return [...new Set(model.linesOf(m).map((x) => x.stage).filter((s) => s > 0))].sort();
}

function firstStage(m) {
  return stagesOf(m)[0] || 0;
}

// drawChosen draws the chosen message's lines up to the stage shown, each
// stage under its heading.
function drawChosen() {
  const m = model.messages.get(view.chosen);
  if (!m) return choose("");
  const lines = model.linesOf(m).filter((x) => x.stage <= view.shown && x.e.action !== "closed");
  linesList.replaceChildren();
  view.rendered = 0;
  appendChosen(lines);
  showStage(m, view.shown);
}

// appendChosen adds lines of the chosen message: a heading before each
// new stage, and before each session's lines who talks to whom (the
// lines themselves then say it no more).
function appendChosen(lines) {
  const frag = document.createDocumentFragment();
  const tail = linesList.lastElementChild;
  let last = Number(tail ? tail.dataset.step : -1);
  let session = tail ? tail.dataset.session : "";
  for (const { e, stage } of lines) {
    if (stage !== last && stage > 0) {
      frag.append(el("li", "stage-heading", L(stepTitles[stage])));
      session = "";
    }
    last = stage;
    if (e.session && e.session !== session) frag.append(sessionHeading(e, stage));
    session = e.session || session;
    const li = lineElement(e, stage, true);
    li.dataset.session = session;
    frag.append(li);
  }
  view.rendered += lines.length;
  linesList.append(frag);
  linesList.scrollTop = linesList.scrollHeight;
}

// sessionHeading names a session: its id, who logged in (or claimed), the
// client and the server.
function sessionHeading(e, stage) {
  const who = e.account || (e.claimed ? e.claimed + "?" : "");
  const client = e.dir === "server" ? e.to : e.from;
  const server = e.dir === "server" ? e.from : e.to;
  const li = el("li", "session-heading", e.session + (who ? " " + who : "") + ": " + client + " → " + server);
  li.dataset.step = stage;
  li.dataset.session = e.session;
  return li;
}

// growChosen adds the chosen message's new lines as they come, when they
// belong to a stage already shown.
function growChosen() {
  if (view.replay) return;
  const m = model.messages.get(view.chosen);
  if (!m) return;
  const lines = model.linesOf(m).filter((x) => x.stage <= view.shown && x.e.action !== "closed");
  if (lines.length !== view.rendered) {
    const at = linesList.scrollTop, bottom = at + linesList.clientHeight >= linesList.scrollHeight - 40;
    drawChosen(); // a late line may belong to an earlier stage: drawn in its place
    if (!bottom) linesList.scrollTop = at;
  } else {
    showStage(m, view.shown);
  }
}

// showStage lights the diagram for the chosen message at a stage.
function showStage(m, stage) {
  const lines = model.linesOf(m);
  diagram.show(m, lines, stage, stage);
  caption.textContent = stage ? L(stepTitles[stage]) : "";
  envelope(m);
  const stages = stagesOf(m);
  $("transcript-title").textContent = F("%s, stage by stage", m.tag);
  $("back").disabled = !stages.some((s) => s < stage);
  $("step").disabled = !stages.some((s) => s > stage);
}

function stepForward() {
  const m = model.messages.get(view.chosen || view.following);
  if (!m) return;
  if (!view.chosen) { choose(m.id, true); return; }
  stopReplay(true);
  const next = stagesOf(m).find((s) => s > view.shown);
  if (next) { view.shown = next; drawChosen(); }
}

function stepBack() {
  const m = model.messages.get(view.chosen);
  if (!m) return;
  stopReplay(true);
  const earlier = stagesOf(m).filter((s) => s < view.shown);
  if (earlier.length) { view.shown = earlier[earlier.length - 1]; drawChosen(); }
}

// replay tells the chosen (or followed) message again, line by line at
// the chosen speed, with a pause between stages: the recorded lines,
// never the servers, which go on meanwhile.
function replay() {
  const id = view.chosen || view.following;
  const m = model.messages.get(id);
  if (!m) return;
  if (!view.chosen) choose(id, true);
  stopReplay();
  const lines = model.linesOf(m).filter((x) => x.stage > 0 && x.e.action !== "closed");
  linesList.replaceChildren();
  view.rendered = 0;
  view.replay = { lines, i: 0, paused: false, timer: null };
  document.body.classList.add("replaying");
  $("pause").textContent = L("Pause");
  tick();
}

function tick() {
  const r = view.replay;
  if (!r || r.paused) return;
  const m = model.messages.get(view.chosen);
  if (!m || r.i >= r.lines.length) {
    view.shown = m ? m.step : 0;
    stopReplay();
    return;
  }
  const x = r.lines[r.i++];
  view.shown = x.stage;
  appendChosen([x]);
  showStage(m, x.stage);
  status.textContent = F("replaying %s: line %d of %d", m.tag, r.i, r.lines.length);
  const speed = Number($("speed").value) || 5;
  const next = r.lines[r.i];
  const pause = next && next.stage !== x.stage ? 4 : 1; // a breath between stages
  r.timer = setTimeout(tick, pause * 1000 / speed);
}

function pauseReplay() {
  const r = view.replay;
  if (!r) return;
  r.paused = !r.paused;
  $("pause").textContent = r.paused ? L("Resume") : L("Pause");
  if (!r.paused) tick();
  else clearTimeout(r.timer);
}

// stopReplay ends a replay, showing the whole message (or, to step on
// from where the replay was, the stage it had reached).
function stopReplay(keepStage) {
  const r = view.replay;
  if (!r) return;
  clearTimeout(r.timer);
  view.replay = null;
  const m = model.messages.get(view.chosen);
  if (m && !keepStage) view.shown = m.step;
  document.body.classList.remove("replaying");
  status.textContent = "";
  if (view.chosen) drawChosen();
}

// envelope shows the message on the diagram as the servers saw it.
function envelope(m) {
  $("env-tag").textContent = m ? m.tag : "–";
  $("env-from").textContent = m ? visible(senderOf(m)) : "–";
  $("env-to").textContent = m ? visible(m.to.join(", ") || "–") : "–";
  $("env-subject").textContent = m ? visible(m.subject || "–") : "–";
  const fate = $("env-fate");
  const told = !m || !view.chosen || view.shown >= m.step; // a message told stage by stage keeps its end for the end
  fate.textContent = m && told ? fateWord(m.fate) + (m.reason ? " (" + visible(m.reason) + ")" : "") : "…";
  fate.className = m && (m.fate === "bounced" || m.fate === "refused" || m.fate === "deferred") ? "error" : "";
}

// senderOf names a message's envelope sender, a bounce as one.
function senderOf(m) {
  if (m.bounceOf) return F("a bounce of %s", shortID(m.bounceOf));
  if (m.from === "<>") return L("<> (a bounce)");
  return m.from || "?";
}

// --- the list of messages ---

let lanesTimer = null;
function lanesSoon() {
  if (!lanesTimer) lanesTimer = setTimeout(() => { lanesTimer = null; lanes(); }, 400);
}

function lanes() {
  const all = model.newest(maxMessages).filter(messageMatches).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const items = all.slice(0, maxLanes).map(laneElement);
  lanesList.replaceChildren(...items);
  $("lanes-count").textContent = all.length > maxLanes ? F("newest %d of %d", maxLanes, all.length) : String(all.length);
}

function laneElement(m) {
  const li = el("li", "lane fate-" + (m.fate || "none"));
  if (m.id === view.chosen) li.classList.add("chosen");
  if (m.id === view.following && !view.chosen) li.classList.add("following");
  const top = el("div", "lane-top");
  top.append(el("span", "mtag", m.tag), el("span", "route", senderOf(m) + " → " + (m.to.join(", ") || "?")));
  const bottom = el("div", "lane-bottom");
  let bad = 0;
  for (let i = 1; i <= 6; i++) if (m.stageErrors[i]) { bad = i; break; }
  bottom.append(stepDots(m.step, bad), el("span", "fate", fateWord(m.fate)), el("span", "subject", m.subject || ""));
  li.append(top, bottom);
  if (m.reason) li.title = m.reason;
  li.tabIndex = 0;
  li.addEventListener("click", () => choose(m.id, true));
  li.addEventListener("keydown", (ev) => { if (ev.key === "Enter") choose(m.id, true); });
  return li;
}

// --- the class at a glance ---

async function tiles() {
  if ($("class").hidden) return;
  try {
    const r = await fetch("api/tiles");
    const j = await r.json();
    $("tiles").replaceChildren(...j.tiles.map((t) => tileElement(t, false)));
    $("class-count").textContent = F("%d students", j.tiles.length);
  } catch (err) {
    status.textContent = L("reconnecting…");
  }
}

// tileElement draws one student: how far their latest message got, what
// they sent and received, exercises passed and failed, the last error.
function tileElement(t) {
  const div = el("div", "tile");
  if (t.stuck) div.classList.add("stuck");
  if (t.last_error) div.classList.add("erred");
  if (t.online > 0) div.classList.add("online");
  const head = el("div", "tile-head");
  head.append(el("span", "tile-name fit", t.student));
  if (t.stuck) head.append(el("span", "badge", L("stuck")));
  head.append(el("span", "tile-seen", t.last_seen ? ago(t.last_seen) : L("not seen yet")));
  const journey = el("div", "tile-journey");
  journey.append(stepDots(t.step, 0), el("span", "fate" + (t.fate === "bounced" || t.fate === "deferred" || t.fate === "refused" ? " error" : ""), fateWord(t.fate)));
  if (t.to) {
    const to = el("span", "tile-to cut", "→ " + t.to.split("@")[0]); // the domain on hover: the tile is small
    to.title = visible(t.to);
    journey.append(to);
  }
  const counts = el("div", "tile-counts");
  const passed = el("span", "passed", "✓" + t.passed), failed = el("span", t.failed ? "failed" : "", "✗" + t.failed);
  passed.title = L("exercises passed");
  failed.title = L("exercises failed");
  counts.append(el("span", "", F("sent %d", t.sent)), el("span", "", F("received %d", t.received)), passed, failed);
  div.append(head, journey, counts);
  if (t.last_error) {
    const e = t.last_error;
    const text = e.claimed ? F("failed login as %s", t.student) + ": " + e.line : e.line;
    const line = el("div", "tile-error cut", text);
    line.title = visible(text);
    div.append(line);
  }
  return div;
}

// --- wiring ---

function showView(name) {
  $("journey").hidden = name !== "journey";
  $("class").hidden = name !== "class";
  $("view-journey").classList.toggle("on", name === "journey");
  $("view-class").classList.toggle("on", name === "class");
  if (name === "class") tiles();
}

function connect() {
  const es = new EventSource("events");
  es.onmessage = (msg) => {
    const t0 = performance.now();
    const e = JSON.parse(msg.data);
    model.add(e);
    render(e);
    stats.work += performance.now() - t0;
  };
  // The teacher played the six steps: tell that message stage by stage.
  es.addEventListener("narrate", (msg) => {
    const { message } = JSON.parse(msg.data);
    setTimeout(() => {
      if (!model.messages.has(message)) return;
      showView("journey");
      choose(message, true);
      replay();
    }, 300);
  });
  es.onerror = () => { status.textContent = L("reconnecting…"); };
  es.onopen = () => { status.textContent = ""; };
}

$("live").addEventListener("click", () => choose(""));
$("step").addEventListener("click", stepForward);
$("back").addEventListener("click", stepBack);
$("replay").addEventListener("click", replay);
$("pause").addEventListener("click", pauseReplay);
$("stop").addEventListener("click", () => stopReplay());
$("view-journey").addEventListener("click", () => showView("journey"));
$("view-class").addEventListener("click", () => showView("class"));
filterBox.addEventListener("input", () => { if (!view.chosen) choose(""); else lanes(); });
document.addEventListener("keydown", (ev) => {
  if (ev.target.matches("input, select, textarea") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === "ArrowRight") stepForward();
  if (ev.key === "ArrowLeft") stepBack();
  if (ev.key === " ") { ev.preventDefault(); view.replay ? pauseReplay() : replay(); }
  if (ev.key === "Escape") choose("");
});
setupTheme($("theme"));
setupZoom($("zoom-out"), $("zoom-in"));
localize().then(connect); // the words first: lines are drawn in them
setInterval(tiles, 2000);
