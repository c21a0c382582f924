"""Which key presses may act: never on a sample the reviewer has not seen, never over an
unsaved painted mask (page JavaScript, run on page load before review_ui.shortcuts).

API:
  DEFAULT_KEY_DELAY_MS      how long a sample's image must have been drawn before a key acts on it
  UNSAVED_MASK              the message shown when A or E would drop a painted mask
  key_gate_js(delay_ms) -> str   defines ``window.pbKeyGate``:
      .allow(key, decision) -> bool   whether ``key`` may act now; when not, says why in a banner
                            (``#key-note``, role alert) and the caller ignores the key
      .unsavedMask() -> bool          the mask editor holds strokes not yet used
      .saved()                        the editor's strokes were sent ("Use the edited mask")
      .onScreenMs() -> number         how long the shown sample's image has been drawn (0: not)

Rules (B2: two presses 73-235 ms apart accepted two samples, the second drawn 28-70 ms or not at
all): a page watches, every frame, which sample it shows (its id) and when that sample's image
(``#sample-image img.pb-sample``) was first drawn; a decision key acts only when the image has been
drawn for ``delay_ms`` and no earlier key on the same shown sample is still being answered (the
page's event requests are counted by wrapping ``fetch``). With no sample shown (nothing left to
review) only the in-flight rule applies, so U still works there. B1: while the editor holds
strokes that "Use the edited mask" has not sent, A and E (keys and buttons) are refused.
"""

from __future__ import annotations

import json

from review_ui.mask_editor import EDITOR_ID

DEFAULT_KEY_DELAY_MS = 200
UNSAVED_MASK = (
    'The painted mask is not used yet: press "Use the edited mask" first (or load the mask '
    "into the editor again to drop the painting). Nothing was recorded."
)
_SAMPLE_ID_JS = "(document.querySelector('#sample-id textarea, #sample-id input')?.value ?? '')"

_GATE_JS = """
() => {
  const DELAY = __DELAY__;
  const state = { shown: "", paintedAt: 0, acted: null, inflight: 0 };
  const sampleId = () => __SAMPLE_ID__;
  const note = (text) => {
    let el = document.getElementById("key-note");
    if (!el) {
      el = document.createElement("div");
      el.id = "key-note";
      el.setAttribute("role", "alert");
      document.body.appendChild(el);
    }
    el.textContent = text;
    el.hidden = false;
    clearTimeout(note.timer);
    note.timer = setTimeout(() => { el.hidden = true; }, 5000);
  };
  const look = () => {
    const img = document.querySelector("#sample-image img.pb-sample");
    const id = sampleId();
    // the sample, not its picture: O redraws the picture of a sample already seen
    if (id !== state.shown) { state.shown = id; state.paintedAt = 0; }
    if (!state.paintedAt && img && img.complete && img.naturalWidth > 0) {
      state.paintedAt = performance.now();
    }
    return id;
  };
  const frame = () => { look(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const original = window.fetch;
  window.fetch = async (...args) => {
    const url = String(args[0]?.url ?? args[0]);
    const event = url.includes("/run/") || url.includes("/queue/join");
    if (event) state.inflight += 1;
    try {
      return await original(...args);
    } finally {
      if (event) {
        state.inflight -= 1;
        // two frames: the answer is drawn before a key may act on the same sample again
        requestAnimationFrame(() => requestAnimationFrame(() => {
          if (!state.inflight) state.acted = null;
        }));
      }
    }
  };
  const editor = () => document.querySelector("#__EDITOR__ .pb-ed");
  const unsavedMask = () => {
    const root = editor();
    return !!root && Number(root.dataset.edits || 0) > Number(root.dataset.applied || 0);
  };
  const saved = () => {
    const root = editor();
    if (root) root.dataset.applied = root.dataset.edits || "0";
  };
  const allow = (key, decision) => {
    const id = look();
    if ((key === "a" || key === "e") && unsavedMask()) { note(__UNSAVED__); return false; }
    if (id) {
      if (!state.paintedAt) {
        note("Key ignored: this sample's image is not drawn yet.");
        return false;
      }
      const age = Math.round(performance.now() - state.paintedAt);
      if (age < DELAY) {
        note(`Key ignored: this sample has been on screen ${age} ms; keys act after ${DELAY} ms.`);
        return false;
      }
    }
    if (!decision) return true;
    if (state.acted === state.shown) {
      note("Key ignored: the last key on this sample is still being recorded.");
      return false;
    }
    state.acted = state.shown;
    return true;
  };
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("#accept-btn, #edit-btn");
    if (button && unsavedMask()) {
      event.preventDefault();
      event.stopImmediatePropagation();
      note(__UNSAVED__);
    }
  }, true);
  const onScreenMs = () => (look() && state.paintedAt ? performance.now() - state.paintedAt : 0);
  window.pbKeyGate = { allow, unsavedMask, saved, onScreenMs };
}
"""


def key_gate_js(delay_ms: int = DEFAULT_KEY_DELAY_MS) -> str:
    return (
        _GATE_JS.replace("__DELAY__", str(int(delay_ms)))
        .replace("__SAMPLE_ID__", _SAMPLE_ID_JS)
        .replace("__EDITOR__", EDITOR_ID)
        .replace("__UNSAVED__", json.dumps(UNSAVED_MASK))
    )
