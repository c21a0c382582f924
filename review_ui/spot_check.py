"""The spot-check mode: ``perbench review STORE --spot-check TASK``, a second reviewer judging a
seeded random sample of accepted items, blind to the first decision.

API:
  SpotScreen(sample_id, image_url, text, progress, message, done)
  SpotCheck(store, display_dir, task, seed=0, width=DEFAULT_WIDTH, expected=DEFAULT_EXPECTED)
    .plan(reviewer) -> perbench.spot_check.SpotPlan   fixed for the server's life
    .screen(reviewer, message="") -> SpotScreen       the reviewer's next unjudged item
    .verdict(reviewer, sample_id, correct, code=None, note="") -> SpotScreen
  build_spot_app(spot, default_reviewer) -> gr.Blocks  (served by review_ui.app.launch_app)

Blind: the screen shows the image with its overlay and the accepted text (edits applied), never
who accepted it, how many did, or its review history. "Correct" (key C) logs ``spot_ok``;
"Error" (key X) logs ``spot_error`` with the chosen reason (perbench.needs codes). Verdicts never
change a sample's status (perbench.spot_check); ``release create`` states the error rate found.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from perbench.errors import PerBenchError
from perbench.needs import REASON_CODES
from perbench.review_log import SPOT_VERDICTS, Decision
from perbench.spot_check import (
    DEFAULT_EXPECTED,
    DEFAULT_WIDTH,
    SpotPlan,
    estimates,
    plan,
    record_verdict,
)
from perbench.store import CandidateStore
from review_ui.view import ViewMaker

KEYS_JS = """() => { document.addEventListener("keydown", (event) => {
  if (["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName)) return;
  const id = {c: "spot-ok", x: "spot-error"}[event.key.toLowerCase()];
  if (id) { document.getElementById(id)?.click(); event.preventDefault(); }
}); }"""


@dataclass(frozen=True)
class SpotScreen:
    sample_id: str
    image_url: str
    text: str
    progress: str
    message: str
    done: bool


class SpotCheck:
    """Plans per reviewer and their verdicts over one store and task."""

    def __init__(
        self,
        store: CandidateStore,
        display_dir: Path,
        task: str,
        seed: int = 0,
        width: float = DEFAULT_WIDTH,
        expected: float = DEFAULT_EXPECTED,
    ):
        self.store, self.task, self.seed = store, task, seed
        self.width, self.expected = width, expected
        self.views = ViewMaker(store, display_dir)
        self._plans: dict[str, SpotPlan] = {}
        self._lock = threading.Lock()

    def plan(self, reviewer: str) -> SpotPlan:
        with self._lock:
            if reviewer not in self._plans:
                self._plans[reviewer] = plan(
                    self.store, self.task, reviewer, self.seed, self.width, self.expected
                )
            return self._plans[reviewer]

    @staticmethod
    def _judged(reviewer: str, log: list[Decision]) -> set[str]:
        undone = {d.undoes for d in log if d.decision == "undo"}
        return {
            d.sample_id
            for d in log
            if d.reviewer == reviewer and d.decision in SPOT_VERDICTS and d.seq not in undone
        }

    def screen(self, reviewer: str, message: str = "") -> SpotScreen:
        chosen = self.plan(reviewer)
        log = self.store.decisions()
        judged = self._judged(reviewer, log)
        left = [sample_id for sample_id in chosen.ids if sample_id not in judged]
        done = chosen.size - len(left)
        found = estimates(self.store, log).get(self.task)
        progress = (
            f"Spot check of `{self.task}` (seed {chosen.seed}): {done} of {chosen.size} judged; "
            f"{chosen.eligible} accepted items were eligible. Sized for a 95% interval "
            f"{chosen.width:.0%} wide at {chosen.expected:.0%} error."
            + (f" Error found so far: {found.text()}." if found else "")
        )
        if not left:
            return SpotScreen(
                "", "", "Nothing left to judge in this plan.", progress, message, True
            )
        sample_id = left[0]
        state = self.store.state(sample_id)
        view = self.views.prepare(sample_id, state.edits)
        return SpotScreen(sample_id, view.image_url, view.draft_markdown, progress, message, False)

    def verdict(
        self,
        reviewer: str,
        sample_id: str,
        correct: bool,
        code: str | None = None,
        note: str = "",
    ) -> SpotScreen:
        if sample_id not in self.plan(reviewer).ids:
            raise PerBenchError(f"sample {sample_id!r} is not in {reviewer}'s spot-check plan")
        reasons = None
        if not correct:
            reasons = [{"code": code or "other", **({"note": note} if note.strip() else {})}]
        record_verdict(self.store, sample_id, reviewer, correct, reasons)
        said = "correct" if correct else f"an error ({reasons[0]['code']})"
        return self.screen(reviewer, f"Recorded {sample_id} as {said}.")


def build_spot_app(spot: SpotCheck, default_reviewer: str) -> gr.Blocks:
    """The spot-check page: the image, the accepted text, Correct (C) and Error (X)."""

    def reviewer_of(request: gr.Request | None) -> str:
        return getattr(request, "username", None) or default_reviewer

    def shown(screen: SpotScreen) -> tuple:
        url = html.escape(screen.image_url)
        image = f'<img class="pb-sample" src="{url}" alt="sample image">'
        return (
            screen.sample_id,
            "" if screen.done else image,
            screen.text,
            screen.progress,
            screen.message,
        )

    def respond(action) -> tuple:
        try:
            return shown(action())
        except PerBenchError as exc:
            raise gr.Error(str(exc)) from None

    with gr.Blocks(title="PerBench spot check") as app:
        progress = gr.Markdown()
        message = gr.Markdown()
        sample_box = gr.Textbox(visible=False)
        with gr.Row():
            image = gr.HTML()
            with gr.Column():
                text = gr.Markdown()
                ok = gr.Button("Correct (C)", elem_id="spot-ok", variant="primary")
                code = gr.Dropdown(list(REASON_CODES), value="other", label="What is wrong")
                note = gr.Textbox(label="Note (required for 'other')")
                error = gr.Button("Error (X)", elem_id="spot-error", variant="stop")
        outputs = [sample_box, image, text, progress, message]

        def show(request: gr.Request):
            return respond(lambda: spot.screen(reviewer_of(request)))

        def judge_ok(sample_id, request: gr.Request):
            return respond(lambda: spot.verdict(reviewer_of(request), sample_id, True))

        def judge_error(sample_id, reason, note_text, request: gr.Request):
            reviewer = reviewer_of(request)
            return respond(lambda: spot.verdict(reviewer, sample_id, False, reason, note_text))

        app.load(show, None, outputs, api_name="show")
        ok.click(judge_ok, [sample_box], outputs, api_name="spot_ok")
        error.click(judge_error, [sample_box, code, note], outputs, api_name="spot_error")
        app.load(None, None, None, js=KEYS_JS)
    app.review_images = spot.views.images  # served by launch_app's image route
    return app
