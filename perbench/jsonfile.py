"""Read a JSON file with an error that names the file and says what it should have been.

API:
  read_json(path, what, error=PerBenchError) -> the parsed value
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perbench.errors import PerBenchError


def read_json(path: str | Path, what: str, error: type[PerBenchError] = PerBenchError) -> Any:
    """Parse ``path``; a missing file or bad JSON raises ``error`` naming ``what`` and the path."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} not found", where=str(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{what} is not valid JSON: {exc}", where=str(path)) from None
