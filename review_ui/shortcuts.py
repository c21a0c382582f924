"""One-key shortcuts of the review app, as the JavaScript function Gradio runs on page load.

API:
  KEYS            {key: (button elem_id, label)}: a accept, e edit+accept, r reject, s skip, u undo,
                  o overlay on/off (the bare image; the next sample shows it again), y "yes,
                  something is wrong" to the sample's first unanswered need (reject with its
                  reason), and each task's one-key rejects (review_ui.checks.QUICK_REJECTS: w
                  another option is also right, t wrong targets, p needs no prompt)
  CONFIRM_KEY     "n": answer the first unanswered need "no" (ticks its box in ``#needs-ok``)
  NUMBER_KEYS     "1".."9": on a description, mark statement n false (``#false-sentences``; the
                  first mark opens "Edit the text" for correction); else pick reason n
  SHORTCUTS_JS    the ``js=`` argument of ``Blocks.launch`` (after review_ui.key_gate's script:
                  every key but O passes ``pbKeyGate.allow``, which refuses a key on a sample
                  not yet on screen long enough, and A / E over an unsaved painted mask)

Keys are ignored while typing in a text box (input, textarea, contenteditable) and with
Ctrl/Alt/Meta held, so editing a question never triggers a decision; Ctrl+Enter (or Cmd+Enter)
commits an edit (Edit & accept) from anywhere, text boxes included. The listener sits on the
document from page load, so the keys work on a fresh page without a click.

Looking closely: the mouse wheel over the sample image zooms about the pointer,
``+``/``-`` zoom, ``0`` resets, the arrow keys pan a zoomed image; a new image resets the zoom.
The image (``#sample-image img``) carries its zoom in ``data-zoom``.
"""

from __future__ import annotations

import json

from review_ui.checks import QUICK_REJECTS

KEYS = {
    "a": ("accept-btn", "Accept"),
    "e": ("edit-btn", "Edit & accept"),
    "r": ("reject-btn", "Reject"),
    "s": ("skip-btn", "Skip"),
    "u": ("undo-btn", "Undo"),
    "o": ("overlay-btn", "Overlay on/off"),
    "y": ("need-yes-btn", "Yes, something is wrong: reject"),
    **{key: (elem, label) for rejects in QUICK_REJECTS.values() for key, _, label, elem in rejects},
}
NOT_DECISIONS = "o"
CONFIRM_KEY = "n"
NUMBER_KEYS = "123456789"
ZOOM_STEP = 1.25
PAN_STEP_PX = 60

SHORTCUTS_JS = (
    """
() => {
  const buttons = __BUTTONS__;
  const typing = (el) => {
    if (!el) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["radio", "checkbox", "button"].includes(el.type);
  };
  const view = { zoom: 1, x: 0, y: 0 };
  const image = () => document.querySelector("#sample-image img");
  const show = () => {
    const el = image();
    if (!el) return;
    el.style.transformOrigin = "0 0";
    el.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`;
    el.dataset.zoom = String(view.zoom);
  };
  const zoomAt = (factor, cx, cy) => {
    const el = image();
    if (!el) return;
    const box = el.getBoundingClientRect();
    const left = box.left - view.x, top = box.top - view.y;
    const zoom = Math.min(16, Math.max(1, view.zoom * factor));
    const px = cx - left, py = cy - top;
    view.x = px - (px - view.x) * zoom / view.zoom;
    view.y = py - (py - view.y) * zoom / view.zoom;
    view.zoom = zoom;
    if (zoom === 1) { view.x = 0; view.y = 0; }
    show();
  };
  const zoomCentre = (factor) => {
    const el = image();
    if (!el) return;
    const box = el.getBoundingClientRect();
    zoomAt(factor, box.left + box.width / 2, box.top + box.height / 2);
  };
  document.addEventListener("wheel", (event) => {
    const el = image();
    if (!el || event.target !== el) return;
    event.preventDefault();
    zoomAt(event.deltaY < 0 ? __STEP__ : 1 / __STEP__, event.clientX, event.clientY);
  }, { passive: false });
  document.addEventListener("load", (event) => {
    if (event.target === image()) { view.zoom = 1; view.x = 0; view.y = 0; show(); }
  }, true);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      const edit = document.getElementById("edit-btn");
      if (edit && !edit.disabled) {
        event.preventDefault();
        if (document.activeElement) document.activeElement.blur();  // send the last text
        setTimeout(() => edit.click(), 0);
      }
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (typing(event.target)) return;
    if (event.key === "+" || event.key === "=") { zoomCentre(__STEP__); return; }
    if (event.key === "-") { zoomCentre(1 / __STEP__); return; }
    if (event.key === "0") { view.zoom = 1; view.x = 0; view.y = 0; show(); return; }
    const pan = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (pan[event.key] && view.zoom > 1) {
      event.preventDefault();
      view.x += pan[event.key][0] * __PAN__; view.y += pan[event.key][1] * __PAN__; show();
      return;
    }
    if (event.repeat) return;
    const key = event.key.toLowerCase();
    const gate = window.pbKeyGate;
    if (__NUMBER_KEYS__.includes(key)) {
      const statements = document.querySelectorAll("#false-sentences input[type=checkbox]");
      const radios = document.querySelectorAll("#reject-reason input[type=radio]");
      const box = (statements.length ? statements : radios)[Number(key) - 1];
      if (box) { event.preventDefault(); box.click(); }
      if (box && statements.length && box.checked) {
        const references = document.querySelector("#references");
        const toggle = document.querySelector("#edit-text .label-wrap");
        const closed = !references || references.offsetParent === null;
        if (closed && toggle) toggle.click();  // opens the text for correction
      }
      return;
    }
    if (key === __CONFIRM__) {
      const open = [...document.querySelectorAll("#needs-ok input[type=checkbox]")].find(
        (box) => !box.checked);
      if (open && (!gate || gate.allow(key, false))) { event.preventDefault(); open.click(); }
      return;
    }
    const id = buttons[key];
    if (!id) return;
    const button = document.getElementById(id);
    if (!button || button.disabled || button.offsetParent === null) return;
    event.preventDefault();
    if (gate && !gate.allow(key, !__NOT_DECISIONS__.includes(key))) return;
    button.click();
  });
}
""".replace("__STEP__", str(ZOOM_STEP))
    .replace("__PAN__", str(PAN_STEP_PX))
    .replace("__BUTTONS__", json.dumps({key: elem for key, (elem, _) in KEYS.items()}))
    .replace("__NUMBER_KEYS__", json.dumps(NUMBER_KEYS))
    .replace("__CONFIRM__", json.dumps(CONFIRM_KEY))
    .replace("__NOT_DECISIONS__", json.dumps(NOT_DECISIONS))
)


def button_label(key: str) -> str:
    """A button's text with its key shown, e.g. ``Accept [A]``."""
    return f"{KEYS[key][1]} [{key.upper()}]"
