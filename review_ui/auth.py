"""Reviewer accounts for the review app: who may log in, their role, and where the app may listen.

API:
  ROLES, REVIEWER, ADJUDICATOR           account roles (an account is a reviewer unless stated)
  Account(password, role)                one account: password or hash, and role
  load_accounts(path=None, env=USERS_ENV) -> {name: Account}
  load_users(path=None, env=USERS_ENV)   -> {name: password or hash}
  adjudicators(accounts)                 -> set of names that may settle conflicts
  check_password(users, name, password)  -> bool (constant-time)
  is_loopback(host)                      -> bool
  is_hashed(password)                    -> bool
  require_auth_off_loopback(host, users) raise ReviewAuthError for a public address without users
                                         or with a plain (unhashed) password

Users file: one ``name:password`` or ``name:password:role`` per line (``#`` comments and blank
lines ignored), role ``reviewer`` (the default) or ``adjudicator`` (may settle conflicts). The
password may be a hash made by ``perbench review --hash-password``; a plain password that itself
ends in ``:reviewer`` or ``:adjudicator`` must be given as a hash. The environment variable
``PERBENCH_REVIEW_USERS`` holds the same entries separated by commas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from perbench.errors import PerBenchError
from perbench.passwords import is_hashed, is_loopback, secret_matches

USERS_ENV = "PERBENCH_REVIEW_USERS"
REVIEWER = "reviewer"
ADJUDICATOR = "adjudicator"
ROLES = (REVIEWER, ADJUDICATOR)


class ReviewAuthError(PerBenchError):
    """A users file or address that would leave the review app open or unusable."""


@dataclass(frozen=True)
class Account:
    password: str  # the password, or its hash
    role: str = REVIEWER


def _parse_entry(entry: str, where: str) -> tuple[str, Account]:
    name, sep, rest = entry.partition(":")
    name = name.strip()
    password, role_sep, role = rest.rpartition(":")
    if not (role_sep and role.strip() in ROLES and password.strip()):
        password, role = rest, REVIEWER
    if not sep or not name or not password.strip():
        raise ReviewAuthError(
            f"expected 'name:password' or 'name:password:role', got {entry.strip()!r}",
            where=where,
            hint="fix that entry",
        )
    return name, Account(password.strip(), role.strip())


def load_accounts(path: str | Path | None = None, env: str = USERS_ENV) -> dict[str, Account]:
    """Accounts from ``path`` (if given) and the environment variable ``env`` (which wins)."""
    accounts: dict[str, Account] = {}
    if path is not None:
        file = Path(path)
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ReviewAuthError(f"cannot read the users file: {exc}", where=str(file)) from None
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                name, account = _parse_entry(line, f"{file}, line {number}")
                accounts[name] = account
    for entry in filter(str.strip, os.environ.get(env, "").split(",")):
        name, account = _parse_entry(entry, f"environment variable {env}")
        accounts[name] = account
    return accounts


def load_users(path: str | Path | None = None, env: str = USERS_ENV) -> dict[str, str]:
    """Passwords (or hashes) by name, from ``path`` and ``env`` as ``load_accounts`` reads them."""
    return {name: account.password for name, account in load_accounts(path, env).items()}


def adjudicators(accounts: dict[str, Account]) -> set[str]:
    """The names whose role lets them settle conflicts."""
    return {name for name, account in accounts.items() if account.role == ADJUDICATOR}


def check_password(users: dict[str, str], name: str, password: str) -> bool:
    """True when ``name`` is a user and ``password`` matches its password or hash."""
    stored = users.get(name)
    if stored is None:
        return False
    return secret_matches(stored, password)


def require_auth_off_loopback(host: str, users: dict[str, str]) -> None:
    """Refuse to serve decisions on a non-loopback address without accounts."""
    if not users and not is_loopback(host):
        raise ReviewAuthError(
            f"refusing to listen on {host} without login",
            hint=f"give --users FILE or set {USERS_ENV}, or bind 127.0.0.1",
        )
    plain = sorted(name for name, password in users.items() if not is_hashed(password))
    if plain and not is_loopback(host):
        raise ReviewAuthError(
            f"refusing to listen on {host} with plain passwords for {', '.join(plain)}",
            hint="replace each by the line 'perbench review --hash-password' prints, or bind "
            "127.0.0.1",
        )
