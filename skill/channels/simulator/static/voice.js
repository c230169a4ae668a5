// The simulator's mouth and ear: speech synthesis with real silences, and recognition.
//
// The server turns each SSML answer into a plan of utterances and silences
// ([{say: "..."}, {pause: 8000}, ...]); the Player speaks it with the browser's
// speechSynthesis and waits out every silence with a visible countdown.

const hooks = window.AllySimulatorHooks || {};
const scaleOf = (value, fallback) => (typeof value === "number" && value > 0 ? value : fallback);
// Tests shrink time (0.05: a 10 s pause lasts half a second); people get real time.
export const timeScale = scaleOf(hooks.timeScale, 1);
// The eight seconds of listening may run at a scale of their own.
export const silenceScale = scaleOf(hooks.silenceScale, timeScale);

export class Cancelled extends Error {}

// Waits `ms` of device time, calling tick(remaining ms) about once a device second.
export function wait(ms, signal, tick, scale = timeScale) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Cancelled());
      return;
    }
    const started = performance.now();
    const total = ms * scale;
    let timer = 0;
    const step = () => {
      const elapsed = performance.now() - started;
      const remaining = Math.max(0, total - elapsed);
      if (tick) tick(remaining / scale);
      if (remaining <= 0) {
        signal.removeEventListener("abort", abort);
        resolve();
        return;
      }
      timer = setTimeout(step, Math.min(remaining, 1000 * scale));
    };
    const abort = () => {
      clearTimeout(timer);
      reject(new Cancelled());
    };
    signal.addEventListener("abort", abort, { once: true });
    step();
  });
}

function pickVoice(lang) {
  const synth = window.speechSynthesis;
  if (!synth || typeof synth.getVoices !== "function") return null;
  const voices = synth.getVoices() || [];
  return (
    voices.find((v) => v.lang === lang) ||
    voices.find((v) => (v.lang || "").replace("_", "-") === lang) ||
    voices.find((v) => (v.lang || "").startsWith("en")) ||
    null
  );
}

// Speaks one utterance; resolves when it has been spoken (or could not be).
function speak(text, lang, whisper, signal) {
  return new Promise((resolve, reject) => {
    const synth = window.speechSynthesis;
    const Utterance = window.SpeechSynthesisUtterance;
    if (!synth || !Utterance) {
      resolve();
      return;
    }
    const utterance = new Utterance(text);
    utterance.lang = lang;
    const voice = pickVoice(lang);
    if (voice) utterance.voice = voice;
    if (whisper) utterance.volume = 0.5;
    let done = false;
    // Some browsers never fire "end" (no voices installed): don't hang the turn on it.
    const watchdog = setTimeout(() => finish(), 5000 + text.length * 120);
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(watchdog);
      signal.removeEventListener("abort", abort);
      if (error) reject(error);
      else resolve();
    };
    const abort = () => {
      synth.cancel();
      finish(new Cancelled());
    };
    utterance.onend = () => finish();
    utterance.onerror = () => finish();
    signal.addEventListener("abort", abort, { once: true });
    synth.speak(utterance);
  });
}

export class Player {
  // onState(state, detail): "speaking" {text}, "pause" {ms, remaining}, "done".
  constructor(onState) {
    this.onState = onState;
    this.aloud = true;
  }

  async play(plan, lang, signal) {
    for (const segment of plan) {
      if (signal.aborted) throw new Cancelled();
      if (segment.say !== undefined) {
        this.onState("speaking", { text: segment.say });
        if (this.aloud) await speak(segment.say, lang, Boolean(segment.whisper), signal);
      } else if (segment.pause > 0) {
        this.onState("pause", { ms: segment.pause, remaining: segment.pause });
        await wait(segment.pause, signal, (remaining) =>
          this.onState("pause", { ms: segment.pause, remaining }),
        );
      }
    }
    this.onState("done", {});
  }
}

export function recognitionClass() {
  return window.SpeechRecognition || window.webkitSpeechRecognition || null;
}

// One listening: resolves with {transcript, confidence}, or null when nothing was heard.
export function listen(lang, onInterim) {
  const Recognition = recognitionClass();
  const recognition = new Recognition();
  recognition.lang = lang;
  recognition.interimResults = true;
  recognition.continuous = false;
  recognition.maxAlternatives = 1;
  let heard = null;
  const result = new Promise((resolve, reject) => {
    recognition.onresult = (event) => {
      let interim = "";
      for (let i = event.resultIndex; i < event.results.length; i += 1) {
        const best = event.results[i][0];
        if (event.results[i].isFinal) {
          heard = { transcript: best.transcript.trim(), confidence: best.confidence };
        } else {
          interim += best.transcript;
        }
      }
      if (!heard && onInterim) onInterim(interim);
    };
    recognition.onerror = (event) => {
      if (event.error === "no-speech" || event.error === "aborted") resolve(null);
      else reject(new Error(event.error || "speech recognition failed"));
    };
    recognition.onend = () => resolve(heard);
  });
  recognition.start();
  return { result, stop: () => recognition.stop(), abort: () => recognition.abort() };
}
