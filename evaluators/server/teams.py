"""Teams of the submission server: who may submit, and how many wrong tokens they may try.

API:
  TEAMS_ENV                          environment variable with ``team:token`` entries
  load_teams(path=None, env=TEAMS_ENV) -> {team: stored token}   (plain or hashed)
  token_matches(teams, team, token) -> bool         constant-time
  require_hashed_off_loopback(host, teams)          plain tokens only on 127.0.0.1
  LoginLimiter(max_failures=5, window_s=60, block_s=60)
      .blocked_for(address, team) -> float          seconds left of a block (0: none)
      .failed(address, team) / .succeeded(address, team)

Teams file: one ``team:token`` per line (``#`` comments and blank lines ignored); the token may
be a hash made by ``perbench serve --hash-token``. A block is per (address, team): wrong tokens
from one address never lock a team out from elsewhere.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from perbench.errors import PerBenchError
from perbench.passwords import is_hashed, is_loopback, secret_matches

TEAMS_ENV = "PERBENCH_SERVE_TEAMS"
TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class TeamsError(PerBenchError):
    """A teams file that cannot be used."""


def load_teams(path: str | Path | None = None, env: str = TEAMS_ENV) -> dict[str, str]:
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TeamsError(f"cannot read the teams file: {exc}", where=str(path)) from None
        entries, where = text.splitlines(), str(path)
    else:
        entries, where = os.environ.get(env, "").split(","), env
    teams: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        team, _, token = entry.partition(":")
        if not TEAM_NAME.fullmatch(team) or not token:
            raise TeamsError(
                "an entry must be team:token, the team name letters, digits, '_', '.', '-'",
                where=f"{where}, entry {number}",
            )
        if team in teams:
            raise TeamsError(f"team {team!r} appears twice", where=f"{where}, entry {number}")
        teams[team] = token
    if not teams:
        raise TeamsError("no teams defined", where=where, hint="one team:token per line")
    return teams


def token_matches(teams: dict[str, str], team: str, token: str) -> bool:
    stored = teams.get(team)
    return stored is not None and secret_matches(stored, token)


def require_hashed_off_loopback(host: str, teams: dict[str, str]) -> None:
    plain = sorted(team for team, token in teams.items() if not is_hashed(token))
    if plain and not is_loopback(host):
        raise TeamsError(
            f"teams {plain} have plain tokens; off 127.0.0.1 every token must be hashed",
            hint="perbench serve --hash-token",
        )


class LoginLimiter:
    """Blocks an (address, team) pair after ``max_failures`` wrong tokens within ``window_s``;
    each further block doubles, up to an hour."""

    def __init__(self, max_failures: int = 5, window_s: float = 60.0, block_s: float = 60.0):
        self.max_failures, self.window_s, self.block_s = max_failures, window_s, block_s
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._blocks: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def blocked_for(self, address: str, team: str) -> float:
        with self._lock:
            until, _ = self._blocks.get((address, team), (0.0, 0))
            return max(0.0, until - time.monotonic())

    def failed(self, address: str, team: str) -> None:
        now = time.monotonic()
        pair = (address, team)
        with self._lock:
            recent = [t for t in self._failures.get(pair, []) if now - t < self.window_s]
            recent.append(now)
            self._failures[pair] = recent
            if len(recent) >= self.max_failures:
                _, strikes = self._blocks.get(pair, (0.0, 0))
                self._blocks[pair] = (now + min(self.block_s * 2**strikes, 3600.0), strikes + 1)
                self._failures[pair] = []

    def succeeded(self, address: str, team: str) -> None:
        with self._lock:
            self._failures.pop((address, team), None)
