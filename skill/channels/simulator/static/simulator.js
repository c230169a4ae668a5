// The simulator page: a speaker you type or talk to. All words go to this server's API.
import { Cancelled, Player, listen, recognitionClass, silenceScale, wait } from "./voice.js";

const SILENCE_MS = 8000; // Alexa listens about eight seconds before it reprompts
const HOLD_MS = 350; // a press longer than this is press-and-hold; shorter is a tap
const token = document.querySelector('meta[name="simulator-token"]').content;
const $ = (id) => document.getElementById(id);

const ui = {
  body: document.body,
  status: $("status"),
  countdown: $("countdown"),
  countdownLabel: $("countdown-label"),
  countdownSeconds: $("countdown-seconds"),
  ring: $("ring"),
  talk: $("talk"),
  form: $("say-form"),
  text: $("say-text"),
  silent: $("silent"),
  leave: $("leave"),
  locale: $("locale"),
  aloud: $("speak-aloud"),
  transcript: $("transcript"),
  announcer: $("announcer"),
  progress: $("progress"),
  refresh: $("refresh-progress"),
  forget: $("forget"),
  forgetConfirm: $("forget-confirm"),
  forgetYes: $("forget-yes"),
  forgetNo: $("forget-no"),
  record: $("record"),
  recordStatus: $("record-status"),
  scriptForm: $("script-form"),
  scriptName: $("script-name"),
  saveScript: $("save-script"),
  scriptResult: $("script-result"),
  scriptPreview: $("script-preview"),
  micDialog: $("mic-dialog"),
  micOk: $("mic-ok"),
  micCancel: $("mic-cancel"),
};

const state = {
  locale: "en-US",
  sessionOpen: false,
  recording: false,
  saveFolder: null,
  controller: new AbortController(), // aborted whenever the person speaks again
  micAllowed: sessionStorage.getItem("ally-sim-mic") === "yes",
  listening: null,
  silences: 0,
};

// --- talking to the server -----------------------------------------------------------

async function api(path, body) {
  const options = {
    method: body === undefined ? "GET" : "POST",
    headers: { "X-Simulator-Token": token, Accept: "application/json" },
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(`api/${path}`, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

// --- what the page shows -------------------------------------------------------------

function setState(name, message) {
  ui.body.dataset.state = name;
  ui.ring.dataset.state = name;
  if (message !== undefined) ui.status.textContent = message;
}

function showCountdown(label, remainingMs) {
  ui.countdown.hidden = false;
  ui.countdownLabel.textContent = label;
  ui.countdownSeconds.textContent = String(Math.ceil(remainingMs / 1000));
}

function hideCountdown() {
  ui.countdown.hidden = true;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function line(who, text, cls) {
  const words = document.createTextNode(text);
  if (!who) return el("p", { class: cls }, words);
  return el("p", { class: cls }, el("span", { class: "who", text: who }), document.createTextNode(" "), words);
}

function note(text) {
  const item = el("li", { class: "note", text });
  ui.transcript.append(item);
  item.scrollIntoView({ block: "nearest" });
}

function card(data) {
  return el(
    "article",
    { class: "card", "aria-label": "Card in the Alexa app" },
    el("p", { class: "card-skill" }, el("span", { class: "card-icon", "aria-hidden": "true" }), document.createTextNode("Ally Coach")),
    el("h3", { class: "card-title", text: data.title }),
    el("p", { class: "card-text", text: data.text }),
  );
}

function slotList(slots) {
  const pairs = Object.entries(slots).map(([name, value]) => `${name} = ${value ?? "(empty)"}`);
  return pairs.length ? pairs.join(", ") : "none";
}

function debugPanel(turn) {
  const understood = turn.understood;
  const rows = [
    ["Requests sent", turn.requests.length ? turn.requests.join(", ") : "none"],
    ["Intent", understood ? understood.intent || "none (open the skill)" : "—"],
    ["Slots", understood ? slotList(understood.slots) : "—"],
    ["Confidence", understood ? `${Math.round(understood.confidence * 100)}%` : "—"],
    ["Opens the skill", understood && understood.launch ? "yes" : "no"],
    ["Dialog action", turn.action || "—"],
    ["View rendered", turn.view || "—"],
    ["Session", turn.session_open ? "open" : "ended"],
  ];
  const list = el("dl", { class: "facts" });
  for (const [term, value] of rows) list.append(el("dt", { text: term }), el("dd", { text: value }));
  const details = el("details", { class: "debug" }, el("summary", { text: "What the skill understood" }), list);
  if (turn.speech) details.append(el("h4", { text: "Speech SSML" }), el("pre", { class: "ssml", text: turn.speech.ssml }));
  if (turn.reprompt) details.append(el("h4", { text: "Reprompt SSML" }), el("pre", { class: "ssml", text: turn.reprompt.ssml }));
  return details;
}

function mustHear(turn) {
  const box = el("fieldset", { class: "must-hear" }, el("legend", { text: "Must be heard when the script is replayed" }));
  if (!turn.choices.length) {
    box.append(el("p", { class: "hint", text: turn.ended ? "Nothing to require: the replay checks the session ends." : "Nothing to require: the replay checks this turn is answered." }));
  }
  turn.choices.forEach((choice, i) => {
    const id = `hear-${turn.recorded}-${i}`;
    const input = el("input", { type: "checkbox", id, "data-turn": String(turn.recorded) });
    input.value = choice.text;
    input.checked = choice.suggested;
    box.append(el("div", { class: "check" }, input, el("label", { for: id, text: choice.text })));
  });
  return box;
}

function renderTurn(turn, voice) {
  const item = el("li", { class: "turn" });
  if (turn.kind === "silent") item.append(line("You", "(stayed silent)", "you silent"));
  else if (turn.kind === "leave") item.append(line("You", "(left the skill)", "you silent"));
  else item.append(line(voice ? "You (spoken)" : "You", turn.said, "you"));

  if (turn.kind === "not_open") {
    item.append(line("", "The skill isn't open, and those words don't open it. Say: open ally coach.", "system"));
  }
  if (turn.speech) item.append(line("Alexa", turn.speech.text, "alexa"));
  if (turn.speech && turn.speech.document) {
    // A practice: one APL for Audio document, played below as its timeline.
    const sound = turn.speech.sound ? `, with ${turn.speech.sound} playing softly under it` : "";
    item.append(el("p", { class: "system", text: `One continuous piece (an APL for Audio document)${sound}.` }));
  }
  if (turn.card) item.append(card(turn.card));
  if (turn.ended && turn.kind !== "not_open") {
    item.append(el("p", { class: "system", text: "The session has ended. Say or type open ally coach to start again." }));
  }
  if (turn.kind !== "not_open") item.append(debugPanel(turn));
  if (turn.recorded !== null) item.append(mustHear(turn));
  ui.transcript.append(item);
  item.scrollIntoView({ block: "nearest" });
  // The live region a screen reader announces: the reply's words, not the debug details.
  const words = turn.speech ? turn.speech.text : "";
  ui.announcer.textContent = words ? `Alexa: ${words}` : turn.ended ? "The session has ended." : "";
}

function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

function renderProgress(data) {
  const stored = data.stored;
  const box = el("div");
  for (const program of stored.programs) {
    const heading = capitalised(program.name) + (stored.current === program.id ? " (current)" : "");
    box.append(el("h3", { class: "program", text: heading }));
    const list = el("ol", { class: "steps" });
    program.steps.forEach((step, i) => {
      const n = i + 1;
      const heard = program.heard.includes(n);
      const practised = program.practiced.includes(n);
      const label = `${step.replace(/_/g, " ")}: ${heard ? "heard" : "not heard"}${practised ? ", practised" : ""}`;
      list.append(el("li", { class: heard ? "done" : "", text: label }));
    });
    box.append(list);
    box.append(el("p", { text: `Finished: ${program.finished ? "yes" : "no"}` }));
  }
  if (stored.last_visit) box.append(el("p", { text: `Last visit: ${new Date(stored.last_visit).toLocaleString()}` }));
  if (stored.is_new) box.append(el("p", { class: "hint", text: "Nothing stored yet for this listener." }));
  if (data.unsaved) box.append(el("p", { class: "hint", text: "This session holds changes not stored yet: they are stored with the next change or when the session ends." }));
  if (data.recording) box.append(el("p", { class: "hint", text: "Recording: this is the recording's new listener." }));
  ui.progress.replaceChildren(box);
}

async function refreshProgress() {
  try {
    renderProgress(await api("progress"));
  } catch (error) {
    ui.progress.replaceChildren(el("p", { class: "error", text: `Progress could not be read: ${error.message}` }));
  }
}

function applyState(data) {
  state.locale = data.locale;
  state.sessionOpen = data.session_open;
  state.recording = data.recording;
  state.saveFolder = data.save_folder;
  if (ui.locale.options.length !== data.locales.length) {
    ui.locale.replaceChildren(...data.locales.map((code) => el("option", { value: code, text: code })));
  }
  ui.locale.value = data.locale;
  ui.locale.disabled = data.recording;
  document.documentElement.lang = data.locale;
  // A toggle button keeps its name; its pressed state and the line beside it say the rest.
  ui.record.setAttribute("aria-pressed", String(data.recording));
  ui.recordStatus.textContent = data.recording ? "Recording." : data.recorded ? `Recorded ${data.recorded} turns.` : "Not recording.";
  ui.scriptForm.hidden = data.recorded === 0;
  ui.saveScript.hidden = !data.save_folder;
  if (data.save_folder) ui.saveScript.textContent = `Save into ${data.save_folder}`;
}

// --- one turn ------------------------------------------------------------------------

function interrupt() {
  // The person speaks: Alexa stops talking and stops waiting, as on a device.
  state.controller.abort();
  state.controller = new AbortController();
  if (window.speechSynthesis) window.speechSynthesis.cancel();
  hideCountdown();
  return state.controller.signal;
}

async function play(speech, signal) {
  const player = new Player((name, detail) => {
    if (name === "speaking") {
      hideCountdown();
      setState("speaking", "Alexa is speaking…");
    } else if (name === "pause") {
      if (detail.ms >= 1000) {
        if (detail.remaining === detail.ms) setState("pause", `A pause of ${Math.round(detail.ms / 1000)} seconds.`);
        showCountdown("Pause", detail.remaining);
      }
    }
  });
  player.aloud = ui.aloud.checked;
  await player.play(speech.plan, state.locale, signal);
  hideCountdown();
}

async function waitForWords(signal) {
  setState("listening", "Listening. Say or type your answer.");
  await wait(SILENCE_MS, signal, (remaining) => showCountdown("Listening", remaining), silenceScale);
  hideCountdown();
  await send("silence", {}, false);
}

async function after(turn, signal) {
  try {
    if (turn.speech) await play(turn.speech, signal);
    if (turn.session_open) await waitForWords(signal);
    else setState("closed", turn.kind === "not_open" ? "The skill isn't open. Say: open ally coach." : "The session has ended.");
  } catch (error) {
    if (!(error instanceof Cancelled)) throw error;
  }
}

async function send(path, body, voice) {
  const signal = interrupt();
  setState("waiting", "…");
  let turn;
  try {
    turn = await api(path, body);
  } catch (error) {
    setState("error", `The server did not answer: ${error.message}`);
    return;
  }
  state.sessionOpen = turn.session_open;
  renderTurn(turn, voice);
  refreshProgress();
  if (turn.recorded !== null) ui.scriptForm.hidden = false;
  await after(turn, signal);
}

// --- input ---------------------------------------------------------------------------

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.text.value.trim();
  ui.text.value = "";
  if (!text) {
    send("silence", {}, false);
    return;
  }
  send("say", { text }, false);
});

ui.text.addEventListener("input", () => {
  // Someone typing is not silent: stop the eight seconds.
  if (ui.body.dataset.state === "listening") {
    interrupt();
    setState("typing", "Waiting for you to finish typing…");
  }
});

ui.silent.addEventListener("click", () => send("silence", {}, false));
ui.leave.addEventListener("click", () => send("leave", {}, false));

// Talking: press and hold, or tap; the first time, say where the audio may go.
let pressStarted = 0;

function askForMicrophone() {
  return new Promise((resolve) => {
    const done = (allowed) => {
      ui.micDialog.close();
      ui.micOk.removeEventListener("click", ok);
      ui.micCancel.removeEventListener("click", cancel);
      ui.micDialog.removeEventListener("cancel", cancel);
      resolve(allowed);
    };
    const ok = () => done(true);
    const cancel = () => done(false);
    ui.micOk.addEventListener("click", ok);
    ui.micCancel.addEventListener("click", cancel);
    ui.micDialog.addEventListener("cancel", cancel);
    ui.micDialog.showModal();
    ui.micOk.focus();
  });
}

async function startListening() {
  if (state.listening) return;
  interrupt(); // pressing the button is not silence, even while the notice is read
  if (!state.micAllowed) {
    setState("waiting", "Read the note about the microphone first.");
    const allowed = await askForMicrophone();
    if (!allowed) {
      setState("typing", "Type what you would say.");
      ui.text.focus();
      return;
    }
    state.micAllowed = true;
    sessionStorage.setItem("ally-sim-mic", "yes");
  }
  interrupt();
  setState("hearing", "Listening to you…");
  ui.talk.textContent = "Listening… (release or tap to stop)";
  let heard = null;
  try {
    state.listening = listen(state.locale, (interim) => {
      ui.text.value = interim;
    });
    heard = await state.listening.result;
  } catch (error) {
    setState("error", `Speech recognition failed (${error.message}). You can type instead.`);
  } finally {
    state.listening = null;
    ui.talk.textContent = "Hold to talk";
  }
  ui.text.value = "";
  if (heard && heard.transcript) await send("say", { text: heard.transcript }, true);
  else if (ui.body.dataset.state === "hearing") setState("idle", "Nothing was heard. Try again, or type.");
}

function stopListening() {
  if (state.listening) state.listening.stop();
}

if (recognitionClass()) {
  ui.talk.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    pressStarted = performance.now();
    if (state.listening) stopListening();
    else startListening();
  });
  ui.talk.addEventListener("pointerup", () => {
    if (state.listening && performance.now() - pressStarted > HOLD_MS) stopListening();
  });
  ui.talk.addEventListener("click", (event) => {
    if (event.detail !== 0) return; // pointer clicks are handled above; this is the keyboard
    if (state.listening) stopListening();
    else startListening();
  });
} else {
  ui.talk.disabled = true;
  ui.talk.textContent = "No speech recognition here";
  $("talk-help").textContent = "This browser has no speech recognition. Type instead: everything works from the text box.";
}

// --- settings, progress, recording ------------------------------------------------------

ui.locale.addEventListener("change", async () => {
  interrupt();
  try {
    applyState(await api("locale", { locale: ui.locale.value }));
    note(`Locale ${state.locale}: a new session starts with the next words.`);
    setState("closed", `Locale ${state.locale}. Say: open ally coach.`);
    refreshProgress();
  } catch (error) {
    setState("error", error.message);
  }
});

ui.aloud.addEventListener("change", () => {
  if (!ui.aloud.checked && window.speechSynthesis) window.speechSynthesis.cancel();
});

ui.refresh.addEventListener("click", refreshProgress);
ui.forget.addEventListener("click", () => {
  ui.forgetConfirm.hidden = false;
  ui.forgetNo.focus();
});
ui.forgetNo.addEventListener("click", () => {
  ui.forgetConfirm.hidden = true;
  ui.forget.focus();
});
ui.forgetYes.addEventListener("click", async () => {
  interrupt();
  ui.forgetConfirm.hidden = true;
  try {
    renderProgress(await api("forget", {}));
    note("Progress forgotten: the skill will greet this listener as new.");
    setState("closed", "Progress forgotten.");
  } catch (error) {
    setState("error", error.message);
  }
  ui.forget.focus();
});

ui.record.addEventListener("click", async () => {
  interrupt();
  const on = !state.recording;
  try {
    applyState(await api("record", { on }));
    note(on ? "Recording started: a new listener, a new session. Say: open ally coach." : "Recording stopped. Name the script and download or save it.");
    setState("closed", on ? "Recording. Say: open ally coach." : "Recording stopped.");
    refreshProgress();
    if (!on) ui.scriptName.focus();
  } catch (error) {
    setState("error", error.message);
  }
});

function picks() {
  const chosen = {};
  for (const box of ui.transcript.querySelectorAll("fieldset.must-hear input[type=checkbox]")) {
    const turn = box.dataset.turn;
    chosen[turn] = chosen[turn] || [];
    if (box.checked) chosen[turn].push(box.value);
  }
  return chosen;
}

async function exportScript(save) {
  try {
    const result = await api("script", { name: ui.scriptName.value, picks: picks(), save });
    ui.scriptPreview.textContent = result.text;
    if (save) {
      ui.scriptResult.textContent = `Saved to ${result.saved_to}`;
      return;
    }
    const link = el("a", { href: URL.createObjectURL(new Blob([result.text], { type: "text/yaml" })), download: result.filename });
    document.body.append(link);
    link.click();
    link.remove();
    ui.scriptResult.textContent = `Downloaded ${result.filename}`;
  } catch (error) {
    ui.scriptResult.textContent = `Not saved: ${error.message}`;
  }
}

ui.scriptForm.addEventListener("submit", (event) => {
  event.preventDefault();
  exportScript(false);
});
ui.saveScript.addEventListener("click", () => exportScript(true));

// --- start ---------------------------------------------------------------------------

async function start() {
  try {
    applyState(await api("state"));
  } catch (error) {
    setState("error", `The simulator server did not answer: ${error.message}`);
    return;
  }
  setState("idle", "Say or type: open ally coach. Or ask straight away: help me talk to my partner.");
  refreshProgress();
}

start();
