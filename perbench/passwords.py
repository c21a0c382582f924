"""Secrets people log in with (review app passwords, submission server team tokens).

API:
  HASH_PREFIX, HASH_ITERATIONS
  hash_password(password, salt=None) -> "pbkdf2_sha256$ITER$SALT$HEX"
  is_hashed(stored) -> bool           whether a stored secret is such a hash
  secret_matches(stored, given) -> bool   constant-time; ``stored`` plain or hashed
  is_loopback(host) -> bool           ``localhost`` and loopback IP addresses
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

HASH_PREFIX = "pbkdf2_sha256"
HASH_ITERATIONS = 200_000


def hash_password(password: str, salt: str | None = None) -> str:
    """A salted PBKDF2-SHA256 hash, storable in a users or teams file instead of the secret."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), HASH_ITERATIONS)
    return f"{HASH_PREFIX}${HASH_ITERATIONS}${salt}${digest.hex()}"


def is_hashed(stored: str) -> bool:
    """Whether a stored secret is a hash made by ``hash_password``."""
    return stored.startswith(HASH_PREFIX + "$")


def secret_matches(stored: str, given: str) -> bool:
    """True when ``given`` is the secret ``stored`` holds (plain or as a hash)."""
    if is_hashed(stored):
        _, iterations, salt, expected = stored.split("$", 3)
        digest = hashlib.pbkdf2_hmac("sha256", given.encode(), salt.encode(), int(iterations))
        return hmac.compare_digest(digest.hex(), expected)
    return hmac.compare_digest(stored.encode(), given.encode())


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
