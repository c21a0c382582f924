"""One-key shortcuts of the review app, as the JavaScript function Gradio runs on page load.

API:
  KEYS            {key: (button elem_id, label)}: a accept, e edit+accept, r reject, s skip, u undo
  REASON_KEYS     "1".."8" pick the reject reason (radio ``#reject-reason``)
  SHORTCUTS_JS    the ``js=`` argument of ``Blocks.launch``

Keys are ignored while typing in a text box (input, textarea, contenteditable) and with
Ctrl/Alt/Meta held, so editing a question never triggers a decision.
"""

from __future__ import annotations

import json

KEYS = {
    "a": ("accept-btn", "Accept"),
    "e": ("edit-btn", "Edit & accept"),
    "r": ("reject-btn", "Reject"),
    "s": ("skip-btn", "Skip"),
    "u": ("undo-btn", "Undo"),
}
REASON_KEYS = "12345678"

SHORTCUTS_JS = """
() => {
  const buttons = __BUTTONS__;
  const typing = (el) => {
    if (!el) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["radio", "checkbox", "button"].includes(el.type);
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    if (typing(event.target)) return;
    const key = event.key.toLowerCase();
    if (__REASON_KEYS__.includes(key)) {
      const radios = document.querySelectorAll("#reject-reason input[type=radio]");
      const radio = radios[Number(key) - 1];
      if (radio) { event.preventDefault(); radio.click(); }
      return;
    }
    const id = buttons[key];
    if (!id) return;
    const button = document.getElementById(id);
    if (button && !button.disabled) { event.preventDefault(); button.click(); }
  });
}
""".replace("__BUTTONS__", json.dumps({key: elem for key, (elem, _) in KEYS.items()})).replace(
    "__REASON_KEYS__", json.dumps(REASON_KEYS)
)


def button_label(key: str) -> str:
    """A button's text with its key shown, e.g. ``Accept [A]``."""
    return f"{KEYS[key][1]} [{key.upper()}]"
