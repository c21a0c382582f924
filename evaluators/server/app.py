"""The submission server (FastAPI): log in, upload, scoring progress, results, leaderboard.

API:
  ServerConfig(data_dir, benchmarks, teams, quota=5, max_upload_mb=64, workers=1, capacity=8)
  make_app(config) -> FastAPI

Routes: GET/POST /login, POST /logout, GET / (the team's submissions and the upload form),
POST /submit, GET /submissions/{id}, POST /submissions/{id}/visibility,
GET /api/submissions/{id} (status, progress, headline), GET /leaderboard/ and its charts,
GET /static/progress.js. Scripts may send ``Authorization: Bearer TEAM:TOKEN`` instead of the
session cookie.

Folder ``data_dir``: ``ledger.sqlite`` (append-only, hash-chained), ``uploads/<id>.jsonl``,
``results/<id>/`` (results JSON and per-sample JSONL of both protocols; never served),
``leaderboard/`` (rebuilt from the published results). Nothing of an answer key is ever written
there or sent: pages carry headline figures only.
"""

from __future__ import annotations

import secrets
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from evaluators.leaderboard import build_leaderboard
from evaluators.server import pages
from evaluators.server.jobs import Benchmark, QueueFull, ScoringQueue, score_both
from evaluators.server.ledger import Ledger, Submission
from evaluators.server.teams import LoginLimiter, token_matches
from evaluators.server.uploads import UploadError, read_upload
from perbench.errors import PerBenchError

SESSION_COOKIE = "perbench_session"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class ServerConfig:
    data_dir: Path
    benchmarks: dict[str, Benchmark]
    teams: dict[str, str]
    quota: int = 5
    max_upload_mb: int = 64
    workers: int = 1
    capacity: int = 8


class _Server:
    """State behind the routes: sessions, ledger, queue, leaderboard."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.data = Path(config.data_dir)
        for folder in ("uploads", "results", "leaderboard"):
            (self.data / folder).mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(self.data / "ledger.sqlite")
        self.sessions: dict[str, str] = {}
        self.limiter = LoginLimiter()
        self.submit_lock = threading.Lock()
        self.board_lock = threading.Lock()
        self.queue = ScoringQueue(self.score, config.workers, config.capacity)
        self.resume_unscored()
        self.rebuild_leaderboard()

    def resume_unscored(self) -> None:
        """Queue again what a stopped server left unscored (its upload is kept until scored)."""
        for entry in self.ledger.submissions():
            if entry.status != "scoring":
                continue
            upload = self.data / "uploads" / f"{entry.id}.jsonl"
            if entry.benchmark in self.config.benchmarks and upload.is_file():
                self.queue.submit(entry.id, entry.benchmark, upload)
            else:
                error = "the server restarted and this upload's benchmark or file is gone"
                self.ledger.append("failed", entry.team, entry.id, {"error": error})

    def team_of(self, request: Request) -> str | None:
        session = request.cookies.get(SESSION_COOKIE)
        if session and session in self.sessions:
            return self.sessions[session]
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer ") and ":" in bearer:
            team, _, token = bearer[7:].strip().partition(":")
            address = request.client.host if request.client else "?"
            if self.limiter.blocked_for(address, team) == 0 and token_matches(
                self.config.teams, team, token
            ):
                return team
            self.limiter.failed(address, team)
        return None

    def score(self, submission_id: str, benchmark: str, upload: Path, progress=None) -> None:
        entry = self.ledger.submission(submission_id)
        out = self.data / "results" / submission_id
        try:
            results = score_both(
                self.config.benchmarks[benchmark],
                upload,
                entry.model,
                entry.revision,
                out,
                progress,
            )
        except Exception as exc:  # recorded, shown to the team; the queue keeps running
            message = str(exc) if isinstance(exc, PerBenchError) else "internal scoring error"
            self.ledger.append("failed", entry.team, submission_id, {"error": message})
            return
        files = {p: f"{p}/{Path(r['per_sample']).name}" for p, r in results.items()}
        self.ledger.append(
            "scored",
            entry.team,
            submission_id,
            {
                "results": files,
                "headline": {p: r["headline"] for p, r in results.items()},
                "fingerprint": results["strict"]["benchmark"]["fingerprint"],
            },
        )

    def published_results(self) -> list[Path]:
        found = []
        for submission in self.ledger.submissions():
            if submission.visibility == "public" and submission.status == "scored":
                found += sorted((self.data / "results" / submission.id).glob("*.results.json"))
        return found

    def rebuild_leaderboard(self) -> None:
        with self.board_lock:
            board = self.data / "leaderboard"
            for old in board.glob("charts/*.png"):
                old.unlink()
            build_leaderboard(self.published_results(), board, reported=True)

    def own(self, submission_id: str, team: str) -> Submission | None:
        submission = self.ledger.submission(submission_id)
        return submission if submission and submission.team == team else None


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status)


def make_app(config: ServerConfig) -> FastAPI:
    server = _Server(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        server.queue.stop()

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.server = server

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    def dashboard(team: str, status: int = 200, **kwargs: Any) -> HTMLResponse:
        left = max(0, config.quota - server.ledger.submitted_today(team))
        text = pages.dashboard(
            team,
            sorted(config.benchmarks),
            server.ledger.submissions(team),
            left,
            config.quota,
            config.max_upload_mb,
            **kwargs,
        )
        return _html(text, status)

    @app.get("/login")
    def login_form() -> HTMLResponse:
        return _html(pages.login_page())

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        team, token = str(form.get("team", ""))[:64], str(form.get("token", ""))[:256]
        address = request.client.host if request.client else "?"
        wait = server.limiter.blocked_for(address, team)
        if wait > 0:
            message = (
                f"Too many wrong tokens for team {team} from your address: try again in "
                f"{int(wait) + 1} s. Other addresses are not blocked."
            )
            return _html(pages.login_page(message), 429)
        if not token_matches(config.teams, team, token):
            server.limiter.failed(address, team)
            return _html(pages.login_page("Unknown team or wrong token."), 401)
        server.limiter.succeeded(address, team)
        session = secrets.token_urlsafe(32)
        server.sessions[session] = team
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict")
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        server.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/")
    def home(request: Request) -> Response:
        team = server.team_of(request)
        if team is None:
            return RedirectResponse("/login", status_code=303)
        return dashboard(team)

    @app.post("/submit")
    async def submit(request: Request) -> Response:
        team = server.team_of(request)
        if team is None:
            return JSONResponse({"error": "log in first"}, status_code=401)
        submission_id = secrets.token_hex(8)
        upload_path = server.data / "uploads" / f"{submission_id}.jsonl"
        try:
            form = await read_upload(request, upload_path, config.max_upload_mb << 20)
            benchmark = config.benchmarks.get(form["benchmark"])
            if benchmark is None:
                raise UploadError(f"unknown benchmark {form['benchmark']!r}")
            with server.submit_lock:
                if server.ledger.submitted_today(team) >= config.quota:
                    raise UploadError(
                        f"daily quota reached: {config.quota} submissions per team per day "
                        "(UTC); nothing was recorded",
                        status=429,
                    )
                try:
                    benchmark.validate(upload_path)
                except PerBenchError as exc:
                    message = str(exc).replace(str(upload_path), form["filename"])
                    raise UploadError(message) from None
                server.ledger.append(
                    "submitted",
                    team,
                    submission_id,
                    {
                        "benchmark": benchmark.name,
                        "model": form["model"],
                        "revision": form["revision"],
                        "file": form["filename"],
                        "sha256": form["sha256"],
                        "bytes": form["bytes"],
                    },
                )
                server.queue.submit(submission_id, benchmark.name, upload_path)
        except (UploadError, QueueFull) as exc:
            upload_path.unlink(missing_ok=True)
            status = getattr(exc, "status", 503 if isinstance(exc, QueueFull) else 400)
            return dashboard(team, status, error=f"Submission refused: {exc}")
        return RedirectResponse(f"/submissions/{submission_id}", status_code=303)

    @app.get("/submissions/{submission_id}")
    def submission(submission_id: str, request: Request) -> Response:
        team = server.team_of(request)
        if team is None:
            return RedirectResponse("/login", status_code=303)
        found = server.own(submission_id, team)
        if found is None:
            return _html(pages.login_page("No such submission of your team."), 404)
        return _html(pages.submission_page(found))

    @app.get("/api/submissions/{submission_id}")
    def submission_state(submission_id: str, request: Request) -> JSONResponse:
        team = server.team_of(request)
        found = server.own(submission_id, team) if team else None
        if found is None:
            return JSONResponse({"error": "no such submission of your team"}, status_code=404)
        progress = server.queue.progress(submission_id) or {"done": 0, "total": 0}
        return JSONResponse(
            {
                "id": found.id,
                "status": found.status,
                "visibility": found.visibility,
                "progress": {"done": progress.get("done", 0), "total": progress.get("total", 0)},
                "headline": found.headline,
                "error": found.error,
            }
        )

    @app.post("/submissions/{submission_id}/visibility")
    async def visibility(submission_id: str, request: Request) -> Response:
        team = server.team_of(request)
        found = server.own(submission_id, team) if team else None
        if found is None:
            return JSONResponse({"error": "no such submission of your team"}, status_code=404)
        wanted = str((await request.form()).get("visibility", ""))
        if wanted not in ("public", "private") or found.status != "scored":
            return dashboard(team, 400, error="only a scored submission is published or hidden")
        if wanted != found.visibility:
            kind = "published" if wanted == "public" else "hidden"
            server.ledger.append(kind, team, submission_id, {})
            server.rebuild_leaderboard()
        return RedirectResponse("/", status_code=303)

    @app.get("/leaderboard")
    def leaderboard_redirect() -> Response:
        return RedirectResponse("/leaderboard/", status_code=308)

    @app.get("/leaderboard/")
    def leaderboard() -> Response:
        return FileResponse(server.data / "leaderboard" / "leaderboard.html")

    @app.get("/leaderboard/charts/{name}")
    def chart(name: str) -> Response:
        path = server.data / "leaderboard" / "charts" / name
        if "/" in name or not name.endswith(".png") or path.is_symlink() or not path.is_file():
            return JSONResponse({"error": "no such chart"}, status_code=404)
        return FileResponse(path, media_type="image/png")

    @app.get("/static/progress.js")
    def progress_js() -> Response:
        return Response(pages.PROGRESS_JS, media_type="text/javascript")

    return app
