"""Reading one upload form on the submission server, bounded before anything is parsed.

API:
  UploadError(message, status=400)     a refused upload (the page shows the message)
  read_upload(request, path, max_bytes) -> {benchmark, model, revision, filename, sha256, bytes}
      the predictions file is written to ``path``

Bounds: a request without ``Content-Length`` (chunked) is refused, and so is one whose length
exceeds the file limit plus a small allowance for the form fields, before its body is read;
one file part, at most 8 fields, text fields up to 1 MB (Starlette's part limit); model and
revision are printable text of at most 100 characters.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from perbench.errors import PerBenchError

FORM_ALLOWANCE = 64 << 10
MAX_NAME_CHARS = 100


class UploadError(PerBenchError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _text(value: Any, field: str, required: bool) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise UploadError(f"the form needs a {field}")
        return None
    if len(text) > MAX_NAME_CHARS or not text.isprintable():
        raise UploadError(f"{field} must be printable text of at most {MAX_NAME_CHARS} characters")
    return text


async def read_upload(request: Request, path: Path, max_bytes: int) -> dict[str, Any]:
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise UploadError("the upload must state its Content-Length", status=411)
    if int(length) > max_bytes + FORM_ALLOWANCE:
        raise UploadError(
            f"the file is too large: {int(length) / 2**20:.1f} MB; the limit is "
            f"{max_bytes / 2**20:.0f} MB",
            status=413,
        )
    try:
        form = await request.form(max_files=1, max_fields=8)
    except Exception as exc:  # Starlette raises several kinds for a malformed multipart body
        raise UploadError(f"the upload is not a valid form: {exc}") from None
    upload = form.get("predictions")
    if not isinstance(upload, UploadFile):
        raise UploadError("the form needs a predictions file")
    digest, size = hashlib.sha256(), 0
    with open(path, "xb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise UploadError(f"the file is larger than {max_bytes >> 20} MB", status=413)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise UploadError("the predictions file is empty")
    filename = Path(upload.filename or "predictions.jsonl").name[:MAX_NAME_CHARS]
    return {
        "benchmark": _text(form.get("benchmark"), "benchmark", True),
        "model": _text(form.get("model"), "model name", True),
        "revision": _text(form.get("revision"), "revision", False),
        "filename": filename if filename.isprintable() else "predictions.jsonl",
        "sha256": digest.hexdigest(),
        "bytes": size,
    }
