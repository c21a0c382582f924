"""Login rate limit of the review app: per (address, user) and per address, with growing back-off,
and login messages that say what happened.

API:
  LoginLimiter(max_failures=5, window_s=60.0, clock=time.monotonic)
    .blocked(key) -> float        seconds left before ``key`` may try again (0: may try now)
    .failed(key) / .succeeded(key) / .tries_left(key) -> int
  LoginGuard(pair=LoginLimiter(), address=LoginLimiter(ADDRESS_MAX_FAILURES))
    .refusal(address, user) -> str | None   why a login from ``address`` as ``user`` is refused
                                   now (None: it may be checked)
    .record(address, user, ok) -> str | None   count the outcome; for a failure, the message
  login_middleware(guard) -> starlette Middleware   refuses a blocked (address, user) or address
                                   with HTTP 429, answers a wrong password with HTTP 400, each
                                   with a ``detail`` saying what happened, and adds LOGIN_JS to
                                   the HTML page so the login form shows that ``detail``
  LOGIN_JS                         the script: shows the login answer's ``detail`` in
                                   ``#pb-login-note`` (Gradio's form says only "Incorrect
                                   Credentials" for a 400 and nothing for a 429)

``max_failures`` failures within ``window_s`` block a key for ``window_s``, doubling with each
further block (at most a day) until a login succeeds. Keys are an (address, user) pair, so
wrong passwords typed elsewhere never lock a reviewer out (B4: five tries from anywhere once
blocked a named user everywhere), and an address (``ADDRESS_MAX_FAILURES`` failures over any
users), against one address trying many names.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_BLOCK_S = 86_400.0
ADDRESS_MAX_FAILURES = 20
NOTE_ID = "pb-login-note"
LOGIN_JS = """
(() => {
  const original = window.fetch;
  window.fetch = async (...args) => {
    const response = await original(...args);
    const url = String(args[0]?.url ?? args[0]);
    if (url.replace(/\\/$/, "").endsWith("/login") && !response.ok) {
      let detail = "";
      try { detail = (await response.clone().json()).detail || ""; } catch (error) {}
      if (detail) {
        let note = document.getElementById("__NOTE__");
        if (!note) {
          note = document.createElement("p");
          note.id = "__NOTE__";
          note.setAttribute("role", "alert");
          note.style.cssText = "max-width: 480px; margin: 12px auto; padding: 8px 12px; "
            + "background: #fef2f2; color: #991b1b; font-weight: 600; border-radius: 6px";
          const form = document.querySelector("form");
          (form ? form.parentElement : document.body).prepend(note);
        }
        note.textContent = detail;
      }
    }
    return response;
  };
})();
""".replace("__NOTE__", NOTE_ID)


class LoginLimiter:
    """Failed logins per key and the blocks they cause."""

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._blocks: dict[str, int] = defaultdict(int)
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> float:
        with self._lock:
            return max(0.0, self._until.get(key, 0.0) - self.clock())

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def tries_left(self, key: str) -> int:
        with self._lock:
            return self.max_failures - len(self._recent(key, self.clock()))

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            failures = self._recent(key, now)
            failures.append(now)
            if len(failures) >= self.max_failures:
                self._blocks[key] += 1
                wait = min(MAX_BLOCK_S, self.window_s * 2 ** (self._blocks[key] - 1))
                self._until[key] = now + wait
                failures.clear()

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
            self._blocks.pop(key, None)
            self._until.pop(key, None)


class LoginGuard:
    """Per (address, user) and per address limits, and the messages a login gets."""

    def __init__(self, pair: LoginLimiter | None = None, address: LoginLimiter | None = None):
        self.pair = pair or LoginLimiter()
        self.address = address or LoginLimiter(ADDRESS_MAX_FAILURES)

    def refusal(self, address: str, user: str) -> str | None:
        wait = self.address.blocked(address)
        if wait:
            return (
                f"Too many failed logins from your address: logins from it are paused for "
                f"{wait:.0f} s more. Nothing was checked."
            )
        wait = self.pair.blocked(f"{address}|{user}")
        if wait:
            return (
                f"Too many failed logins as {user!r} from your address: try again in "
                f"{wait:.0f} s. Your password was not checked."
            )
        return None

    def record(self, address: str, user: str, ok: bool) -> str | None:
        pair = f"{address}|{user}"
        if ok:
            self.pair.succeeded(pair)
            return None
        self.pair.failed(pair)
        self.address.failed(address)
        wait = self.pair.blocked(pair)
        if wait:
            return f"Wrong user name or password. Logins as {user!r} are paused for {wait:.0f} s."
        left = self.pair.tries_left(pair)
        return f"Wrong user name or password ({left} tries left before a pause)."


def _user_of(body: bytes, content_type: str) -> str:
    """The ``username`` field of a login form (urlencoded or multipart)."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get("username", [""])
        return values[0].strip()
    marker = b'name="username"'
    at = body.find(marker)
    if at < 0:
        return ""
    start = body.find(b"\r\n\r\n", at)
    end = body.find(b"\r\n--", start)
    return body[start + 4 : end].decode("utf-8", "replace").strip() if start >= 0 else ""


def login_middleware(guard: LoginGuard) -> Middleware:
    """Starlette middleware (pass in ``app_kwargs={"middleware": [...]}``) guarding ``/login``."""

    class LoginLimit:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] != "http":
                return await self.app(scope, receive, send)
            path = scope["path"].rstrip("/")
            if scope["method"] == "POST" and path.endswith("/login"):
                return await self._login(scope, receive, send)
            if scope["method"] == "GET" and path == scope.get("root_path", "").rstrip("/"):
                return await self._page(scope, receive, send)
            return await self.app(scope, receive, send)

        async def _login(self, scope, receive, send):
            body, more = b"", True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            request = Request(scope)
            address = request.client.host if request.client else "?"
            user = _user_of(body, request.headers.get("content-type", ""))
            refusal = guard.refusal(address, user)
            if refusal:
                guard.record(address, user, ok=False)
                return await JSONResponse({"detail": refusal}, status_code=429)(
                    scope, receive, send
                )
            sent = False

            async def replay():
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            status: list[int] = []

            async def watch(message):
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                if status and status[0] == 200:
                    await send(message)

            await self.app(scope, replay, watch)
            if status and status[0] == 200:
                guard.record(address, user, ok=True)
                return
            detail = guard.record(address, user, ok=False)
            code = 429 if guard.refusal(address, user) else 400
            await JSONResponse({"detail": detail}, status_code=code)(scope, receive, send)

        async def _page(self, scope, receive, send):
            """The page with LOGIN_JS added to its head (Content-Length fixed)."""
            start: dict = {}
            chunks: list[bytes] = []

            async def hold(message):
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                headers = MutableHeaders(raw=list(start["headers"]))
                page = b"".join(chunks)
                if headers.get("content-type", "").startswith("text/html"):
                    script = f"<script>{LOGIN_JS}</script></head>".encode()
                    page = page.replace(b"</head>", script, 1)
                    headers["content-length"] = str(len(page))
                await send({**start, "headers": headers.raw})
                await send({"type": "http.response.body", "body": page, "more_body": False})

            await self.app(scope, receive, hold)

    return Middleware(LoginLimit)
