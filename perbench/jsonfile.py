"""Read a JSON file with an error that names the file and says what it should have been.

API:
  read_json(path, what, error=PerBenchError) -> the parsed value
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


def read_json(path: str | Path, what: str, error: type[PerBenchError] = PerBenchError) -> Any:
    """Parse ``path``; a missing file or bad JSON raises ``error`` naming ``what`` and the path."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} not found", where=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{what} is not valid JSON: {exc}", where=str(path)) from None


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
