"""The review app's display images: content-addressed JPEG files served by a cacheable URL.

API:
  ROUTE                           the URL folder the images are served under ("pb-image")
  image_url(path) -> str          the page-relative URL of a display image file
  key_url(key, part="") -> str    the URL the file of ``key`` (part "" or "near") will have
  content_key(payload) -> str     32 hex digits of sha256 over ``payload`` (JSON-able: what
                                  the picture is drawn from) and the JPEG quality
  DisplayImages(folder, keep=64)
    .plan(key, render)            remember how to draw ``key`` (render: () -> {part: (H, W, 3)
                                  uint8}; part "" is the image, "near" its close-up); nothing is
                                  drawn yet
    .files(key) -> {part: Path}   draw the plan once (callers asking at once wait for the one
                                  drawing) and keep the files; KeyError for an unknown key
    .served(name) -> Path | None  the file behind a URL's file name, drawn now if only planned
  image_route(images) -> starlette Route   GET ``/pb-image/{name}``
  FETCH_AHEAD_JS                  page-load JavaScript: once the shown image is decoded, fetches
                                  and decodes the images to load ahead (``.pb-prefetch img``,
                                  URL in ``data-src``), so the current image comes first and
                                  showing the next one costs neither a download nor a decode

A key is a hash of everything its picture depends on (image id, masks, overlay on/off, JPEG
quality), so its URL never changes meaning and is sent with ``Cache-Control: ... immutable``:
the browser fetches each picture once, and a picture fetched ahead (the next sample, prefetched)
is shown from its cache. When the app has a login, the route answers only a logged-in browser
(HTTP 401 otherwise, the same cookie check as Gradio's own routes) and marks the answer
``private`` (no shared cache keeps it); without a login, ``public``. Only the ``keep`` newest
drawings stay on disk; a plan is kept four times longer, so an evicted picture is redrawn on
request.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from perbench.errors import PerBenchError

ROUTE = "pb-image"
JPEG_QUALITY = 90
MAX_AGE_S = 31_536_000
NAME = re.compile(r"view-(?P<key>[0-9a-f]{32})(?P<near>-near)?\.jpg")
Render = Callable[[], dict[str, np.ndarray]]
FETCH_AHEAD_JS = """
() => {
  const fetchAhead = () => {
    const waiting = [...document.querySelectorAll(".pb-prefetch img[data-src]:not([src])")];
    if (!waiting.length) return;
    const start = () => waiting.forEach((img) => {
      if (img.getAttribute("src")) return;
      img.src = img.dataset.src;
      img.decode().catch(() => {});
    });
    const shown = document.querySelector("#sample-image img.pb-sample");
    if (shown) shown.decode().then(start, start); else start();
  };
  new MutationObserver(fetchAhead).observe(document.body, { childList: true, subtree: true });
}
"""


def content_key(payload: Any) -> str:
    """The key of a picture drawn from ``payload`` (with this module's JPEG quality)."""
    text = json.dumps([JPEG_QUALITY, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def image_url(path: Path) -> str:
    """Relative to the page, so the app also works under a proxy's sub-path."""
    return f"{ROUTE}/{path.name}"


def _file_name(key: str, part: str) -> str:
    return f"view-{key}-{part}.jpg" if part else f"view-{key}.jpg"


def key_url(key: str, part: str = "") -> str:
    return f"{ROUTE}/{_file_name(key, part)}"


class DisplayImages:
    """Planned and drawn display images in ``folder`` (see the module docstring)."""

    def __init__(self, folder: Path, keep: int = 64):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self._plans: OrderedDict[str, Render] = OrderedDict()
        self._drawn: OrderedDict[str, dict[str, Path]] = OrderedDict()
        self._drawing: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def plan(self, key: str, render: Render) -> None:
        with self._lock:
            self._plans[key] = render
            self._plans.move_to_end(key)
            while len(self._plans) > 4 * self.keep:
                self._plans.popitem(last=False)

    def _kept(self, key: str) -> dict[str, Path] | None:
        """The drawn files of ``key`` if still on disk (call with ``_lock`` held)."""
        files = self._drawn.get(key)
        if files is None or not all(path.exists() for path in files.values()):
            return None
        self._drawn.move_to_end(key)
        return files

    def files(self, key: str) -> dict[str, Path]:
        with self._lock:
            kept = self._kept(key)
            if kept is not None:
                return kept
            render = self._plans[key]
            drawing = self._drawing.setdefault(key, threading.Lock())
        with drawing:
            with self._lock:
                kept = self._kept(key)
            if kept is not None:
                return kept
            files = {part: self._write(key, part, rgb) for part, rgb in render().items()}
            with self._lock:
                self._drawn[key] = files
                self._drawing.pop(key, None)
                while len(self._drawn) > self.keep:
                    _, old = self._drawn.popitem(last=False)
                    for path in old.values():
                        path.unlink(missing_ok=True)
        return files

    def _write(self, key: str, part: str, rgb: np.ndarray) -> Path:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=JPEG_QUALITY)
        path = self.folder / _file_name(key, part)
        partial = path.with_suffix(".part")
        partial.write_bytes(buffer.getvalue())
        partial.replace(path)  # a reader never sees half a file
        return path

    def served(self, name: str) -> Path | None:
        match = NAME.fullmatch(name)
        if match is None:
            return None
        try:
            files = self.files(match["key"])
        except (KeyError, PerBenchError):  # never planned here, or no longer drawable
            return None
        return files.get("near" if match["near"] else "")


def _logged_in(request: Request) -> bool:
    """Gradio's own check: no login configured, or the login cookie of a live session."""
    app = request.app
    if getattr(app, "auth", None) is None and getattr(app, "auth_dependency", None) is None:
        return True
    if app.auth_dependency is not None:
        return app.auth_dependency(request) is not None
    cookie = app.cookie_id
    token = request.cookies.get(f"access-token-{cookie}") or request.cookies.get(
        f"access-token-unsecure-{cookie}"
    )
    return app.tokens.get(token) is not None


def image_route(images: DisplayImages) -> Route:
    """The route serving ``images`` (pass it in ``app_kwargs={"routes": [...]}``)."""

    def serve(request: Request) -> Response:  # sync: starlette runs it in its thread pool
        if not _logged_in(request):
            return Response("Log in first.", status_code=401)
        path = images.served(request.path_params["name"])
        if path is None:
            return Response("No such image.", status_code=404)
        scope = "public" if getattr(request.app, "auth", None) is None else "private"
        headers = {"Cache-Control": f"{scope}, max-age={MAX_AGE_S}, immutable"}
        return FileResponse(path, media_type="image/jpeg", headers=headers)

    return Route(f"/{ROUTE}/{{name}}", serve, methods=["GET"])
