"""Login rate limit of the review app: per user and per address, with growing back-off.

API:
  LoginLimiter(max_failures=5, window_s=60.0, clock=time.monotonic)
    .blocked(key) -> float        seconds left before ``key`` may try again (0: may try now)
    .failed(key) / .succeeded(key)
  limited_auth(limiter, check) -> (name, password) -> bool   Gradio's ``auth=``: refuses a
                                   blocked user without checking the password
  login_middleware(limiter) -> starlette Middleware   refuses a blocked address (HTTP 429) and
                                   counts the address's failed ``/login`` posts

``max_failures`` failures within ``window_s`` block a key for ``window_s``, doubling with each
further block (at most a day) until a login succeeds: the 6th wrong login within a minute is
refused, even with the right password.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_BLOCK_S = 86_400.0


class LoginLimiter:
    """Failed logins per key (``"user:NAME"``, ``"address:IP"``) and the blocks they cause."""

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

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            failures = self._failures[key]
            failures.append(now)
            while failures and failures[0] <= now - self.window_s:
                failures.popleft()
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


def limited_auth(
    limiter: LoginLimiter, check: Callable[[str, str], bool]
) -> Callable[[str, str], bool]:
    def auth(name: str, password: str) -> bool:
        key = f"user:{name}"
        if limiter.blocked(key):
            limiter.failed(key)
            return False
        ok = check(name, password)
        (limiter.succeeded if ok else limiter.failed)(key)
        return ok

    return auth


def login_middleware(limiter: LoginLimiter) -> Middleware:
    """Starlette middleware (pass in ``app_kwargs={"middleware": [...]}``) guarding ``/login``."""

    class LoginLimit:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            is_login = (
                scope["type"] == "http"
                and scope["method"] == "POST"
                and scope["path"].rstrip("/").endswith("/login")
            )
            if not is_login:
                return await self.app(scope, receive, send)
            key = f"address:{Request(scope).client.host if scope.get('client') else '?'}"
            wait = limiter.blocked(key)
            if wait:
                limiter.failed(key)
                refusal = JSONResponse(
                    {"detail": f"Too many failed logins; try again in {wait:.0f} s."},
                    status_code=429,
                )
                return await refusal(scope, receive, send)
            status: list[int] = []

            async def watch(message):
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                await send(message)

            await self.app(scope, receive, watch)
            if status and status[0] == 200:
                limiter.succeeded(key)
            elif status:
                limiter.failed(key)

    return Middleware(LoginLimit)
