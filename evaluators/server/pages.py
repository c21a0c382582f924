"""HTML of the submission server (every value escaped; scripts only from /static).

API:
  login_page(message=None) -> str
  dashboard(team, benchmarks, submissions, quota_left, quota, max_mb, message=None,
            error=None) -> str
  submission_page(submission) -> str
  PROGRESS_JS                         the script /static/progress.js serves

Pages show a team only its own submissions and headline figures; no page shows an answer, a
reference, a target or any per-sample result.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from evaluators.results import HEADLINE_COLUMNS, in_table_units, table_cell
from evaluators.server.ledger import Submission

LABELS = {"meteor": "METEOR", "accuracy": "Acc (%)", "ciou": "cIoU", "giou": "gIoU"}
LABELS["overall"] = "Overall"
STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}"
    ".error{color:#a00;white-space:pre-wrap;border:1px solid #a00;padding:.5em}"
    ".notice{color:#060}progress{width:30em}form.inline{display:inline}"
)

PROGRESS_JS = """
const box = document.getElementById('progress');
async function poll() {
  const response = await fetch('/api/submissions/' + box.dataset.id, {credentials: 'same-origin'});
  if (!response.ok) { return; }
  const state = await response.json();
  const bar = document.getElementById('bar');
  bar.max = Math.max(1, state.progress.total);
  bar.value = state.progress.done;
  document.getElementById('state').textContent =
    state.status + ' (' + state.progress.done + ' / ' + state.progress.total + ' samples scored)';
  if (state.status === 'scoring') { setTimeout(poll, 500); } else { location.reload(); }
}
if (box && box.dataset.status === 'scoring') { poll(); }
"""


def _layout(title: str, body: str, team: str | None = None) -> str:
    who = ""
    if team:
        who = (
            f"<p>Team <strong>{escape(team)}</strong> · <a href='/'>submissions</a> · "
            "<a href='/leaderboard/'>leaderboard</a> · <form class='inline' method='post' "
            "action='/logout'><button>log out</button></form></p>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{who}{body}"
        "<script src='/static/progress.js'></script></body></html>"
    )


def _message(message: str | None, error: str | None) -> str:
    parts = []
    if message:
        parts.append(f"<p class='notice' id='notice'>{escape(message)}</p>")
    if error:
        parts.append(f"<div class='error' id='error' role='alert'>{escape(error)}</div>")
    return "".join(parts)


def login_page(message: str | None = None) -> str:
    body = (
        _message(None, message) + "<form method='post' action='/login'>"
        "<p><label>Team <input name='team' autocomplete='username' required></label></p>"
        "<p><label>Token <input name='token' type='password' autocomplete='current-password' "
        "required></label></p><p><button id='login'>Log in</button></p></form>"
        "<p><a href='/leaderboard/'>Public leaderboard</a></p>"
    )
    return _layout("PerBench submissions: log in", body)


def _scores(submission: Submission) -> str:
    if not submission.headline:
        return ""
    head = "".join(f"<th>{LABELS[c]}</th>" for c in HEADLINE_COLUMNS)
    rows = []
    for protocol, headline in sorted(submission.headline.items()):
        shown = in_table_units(headline)
        cells = "".join(f"<td class='n'>{table_cell(shown[c], c)}</td>" for c in HEADLINE_COLUMNS)
        rows.append(f"<tr><td>{escape(protocol)}</td>{cells}</tr>")
    return f"<table class='scores'><tr><th>Protocol</th>{head}</tr>{''.join(rows)}</table>"


def _visibility_form(submission: Submission) -> str:
    target = "private" if submission.visibility == "public" else "public"
    label = "make private" if target == "private" else "publish"
    if submission.status != "scored":
        return escape(submission.visibility)
    return (
        f"{escape(submission.visibility)} <form class='inline' method='post' "
        f"action='/submissions/{escape(submission.id)}/visibility'>"
        f"<input type='hidden' name='visibility' value='{target}'>"
        f"<button class='visibility'>{label}</button></form>"
    )


def dashboard(
    team: str,
    benchmarks: Iterable[str],
    submissions: list[Submission],
    quota_left: int,
    quota: int,
    max_mb: int,
    message: str | None = None,
    error: str | None = None,
) -> str:
    options = "".join(f"<option>{escape(name)}</option>" for name in benchmarks)
    upload = (
        "<h2>Submit predictions</h2>"
        f"<p id='quota'>{quota_left} of {quota} submissions left today (UTC); files up to "
        f"{max_mb} MB. One JSON object per line: "
        '<code>{"id": ..., "prediction": ...}</code>.</p>'
        "<form method='post' action='/submit' enctype='multipart/form-data'>"
        f"<p><label>Benchmark <select name='benchmark'>{options}</select></label></p>"
        "<p><label>Model <input name='model' maxlength='100' required></label> "
        "<label>Revision <input name='revision' maxlength='100'></label></p>"
        "<p><label>Predictions <input type='file' name='predictions' required></label></p>"
        "<p><button id='submit'>Submit</button></p></form>"
    )
    rows = "".join(
        f"<tr><td><a href='/submissions/{escape(s.id)}'>{escape(s.id)}</a></td>"
        f"<td>{escape(s.created_at)}</td><td>{escape(s.benchmark)}</td>"
        f"<td>{escape(s.model)}</td><td>{escape(s.revision or '-')}</td>"
        f"<td class='status'>{escape(s.status)}</td><td>{_visibility_form(s)}</td></tr>"
        for s in reversed(submissions)
    )
    table = (
        "<h2>Your submissions</h2><table id='submissions'><tr><th>Id</th><th>Submitted</th>"
        "<th>Benchmark</th><th>Model</th><th>Revision</th><th>Status</th><th>Visibility</th>"
        f"</tr>{rows}</table>"
    )
    return _layout("PerBench submissions", _message(message, error) + upload + table, team)


def submission_page(submission: Submission) -> str:
    scoring = submission.status == "scoring"
    body = (
        f"<div id='progress' data-id='{escape(submission.id)}' "
        f"data-status='{escape(submission.status)}'>"
        f"<p>{escape(submission.model)} ({escape(submission.revision or '-')}) on "
        f"{escape(submission.benchmark)}, submitted {escape(submission.created_at)}.</p>"
        f"<p>Status: <span id='state'>{escape(submission.status)}</span></p>"
        + ("<progress id='bar' value='0' max='1'></progress>" if scoring else "")
        + "</div>"
        + _message(None, submission.error)
        + _scores(submission)
        + f"<p>Visibility: {_visibility_form(submission)}</p>"
    )
    return _layout(f"Submission {submission.id}", body, submission.team)
