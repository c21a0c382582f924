"""Read a JSON file with an error that names the file and says what it should have been.

API:
  read_json(path, what, error=PerBenchError, allow_answer_key=False) -> the parsed value
  write_text_atomic(path, text)   the whole text or nothing: a temporary file, then a rename;
                                  a full disk or a permission error is a StorageError naming path
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from perbench.errors import PerBenchError, storage_error

ANSWER_KEY_KIND = "perbench-answer-key"


def read_json(
    path: str | Path,
    what: str,
    error: type[PerBenchError] = PerBenchError,
    allow_answer_key: bool = False,
) -> Any:
    """Parse ``path``; a missing file or bad JSON raises ``error`` naming ``what`` and the path.

    A withheld split's private answer key (``perbench.withheld``) is refused unless
    ``allow_answer_key``: no command but the scorer's key reader may take it in, so none can
    copy it into something it publishes.
    """
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} not found", where=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{what} is not valid JSON: {exc}", where=str(path)) from None
    if not allow_answer_key and isinstance(value, dict) and value.get("kind") == ANSWER_KEY_KIND:
        raise error(
            f"this is a private answer key, not a {what}; it is never published or read here",
            where=str(path),
            hint="only the scorer reads it: perbench evaluate --key, perbench serve",
        )
    return value


def write_text_atomic(path: str | Path, text: str) -> None:
    path = Path(path)
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise storage_error(exc, str(path)) or exc from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
