from __future__ import annotations

import pytest

from review_ui.auth import (
    USERS_ENV,
    ReviewAuthError,
    check_password,
    hash_password,
    is_loopback,
    load_users,
    require_auth_off_loopback,
)


def test_users_from_file_and_env(tmp_path, monkeypatch):
    users_file = tmp_path / "users.txt"
    users_file.write_text("# reviewers\nalice:secret one\n\nbob:" + hash_password("pw") + "\n")
    monkeypatch.setenv(USERS_ENV, "carol:c1, dave:d2")
    users = load_users(users_file)
    assert sorted(users) == ["alice", "bob", "carol", "dave"]
    assert check_password(users, "alice", "secret one")
    assert check_password(users, "bob", "pw")
    assert not check_password(users, "bob", "PW")
    assert check_password(users, "dave", "d2")
    assert not check_password(users, "eve", "d2")


def test_bad_users_line_names_file_and_line(tmp_path, monkeypatch):
    monkeypatch.delenv(USERS_ENV, raising=False)
    users_file = tmp_path / "users.txt"
    users_file.write_text("alice:pw\nbob-without-password\n")
    with pytest.raises(ReviewAuthError, match=r"users.txt, line 2.*'name:password'"):
        load_users(users_file)
    with pytest.raises(ReviewAuthError, match="cannot read"):
        load_users(tmp_path / "missing.txt")


def test_hash_is_salted():
    assert hash_password("pw") != hash_password("pw")
    assert hash_password("pw", salt="s") == hash_password("pw", salt="s")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.4", False), ("example.org", False)],
)  # fmt: skip
def test_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_public_address_needs_users():
    with pytest.raises(ReviewAuthError, match="refusing to listen on 0.0.0.0"):
        require_auth_off_loopback("0.0.0.0", {})
    require_auth_off_loopback("0.0.0.0", {"alice": "pw"})
    require_auth_off_loopback("127.0.0.1", {})
