"""Reviewer accounts for the review app: who may log in, and where the app may listen.

API:
  load_users(path=None, env=USERS_ENV)   -> {name: password or hash}
  check_password(users, name, password)  -> bool (constant-time)
  hash_password(password, salt=None)     -> "pbkdf2_sha256$ITER$SALT$HEX"
  is_loopback(host)                      -> bool
  require_auth_off_loopback(host, users) raise ReviewAuthError for a public address without users

Users file: one ``name:password`` per line (``#`` comments and blank lines ignored); the
password may be a hash made by ``perbench review --hash-password``. The environment variable
``PERBENCH_REVIEW_USERS`` holds ``name:password`` entries separated by commas.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path

from perbench.errors import PerBenchError

USERS_ENV = "PERBENCH_REVIEW_USERS"
HASH_PREFIX = "pbkdf2_sha256"
HASH_ITERATIONS = 200_000


class ReviewAuthError(PerBenchError):
    """A users file or address that would leave the review app open or unusable."""


def _parse_entry(entry: str, where: str) -> tuple[str, str]:
    name, sep, password = entry.partition(":")
    name = name.strip()
    if not sep or not name or not password:
        raise ReviewAuthError(
            f"expected 'name:password', got {entry.strip()!r}", where=where, hint="fix that entry"
        )
    return name, password.strip()


def load_users(path: str | Path | None = None, env: str = USERS_ENV) -> dict[str, str]:
    """Accounts from ``path`` (if given) and the environment variable ``env``."""
    users: dict[str, str] = {}
    if path is not None:
        file = Path(path)
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ReviewAuthError(f"cannot read the users file: {exc}", where=str(file)) from None
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                name, password = _parse_entry(line, f"{file}, line {number}")
                users[name] = password
    for entry in filter(str.strip, os.environ.get(env, "").split(",")):
        name, password = _parse_entry(entry, f"environment variable {env}")
        users[name] = password
    return users


def hash_password(password: str, salt: str | None = None) -> str:
    """A salted PBKDF2-SHA256 hash, storable in a users file instead of the password."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), HASH_ITERATIONS)
    return f"{HASH_PREFIX}${HASH_ITERATIONS}${salt}${digest.hex()}"


def check_password(users: dict[str, str], name: str, password: str) -> bool:
    """True when ``name`` is a user and ``password`` matches its password or hash."""
    stored = users.get(name)
    if stored is None:
        return False
    if stored.startswith(HASH_PREFIX + "$"):
        _, iterations, salt, expected = stored.split("$", 3)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
        return hmac.compare_digest(digest.hex(), expected)
    return hmac.compare_digest(stored.encode(), password.encode())


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_auth_off_loopback(host: str, users: dict[str, str]) -> None:
    """Refuse to serve decisions on a non-loopback address without accounts."""
    if not users and not is_loopback(host):
        raise ReviewAuthError(
            f"refusing to listen on {host} without login",
            hint=f"give --users FILE or set {USERS_ENV}, or bind 127.0.0.1",
        )
