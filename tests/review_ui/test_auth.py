from __future__ import annotations

import pytest

from perbench.passwords import hash_password, is_loopback
from review_ui.auth import (
    ADJUDICATOR,
    REVIEWER,
    USERS_ENV,
    Account,
    ReviewAuthError,
    adjudicators,
    check_password,
    load_accounts,
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


def test_roles_from_file_and_env(tmp_path, monkeypatch):
    hashed = hash_password("h:pw")
    users_file = tmp_path / "users.txt"
    users_file.write_text(
        "alice:pw:adjudicator\n"
        "bob:pw\n"
        "carol:pa:ss\n"  # a password with a colon and no role stays valid
        "dave: pw : reviewer \n"
        f"erin:{hashed}:adjudicator\n"
        "frank::adjudicator\n"  # no password before the role: all of it is the password
    )
    monkeypatch.setenv(USERS_ENV, "gina:g1:adjudicator,bob:b2:adjudicator")
    accounts = load_accounts(users_file)
    assert accounts == {
        "alice": Account("pw", ADJUDICATOR),
        "bob": Account("b2", ADJUDICATOR),  # the environment wins
        "carol": Account("pa:ss", REVIEWER),
        "dave": Account("pw", REVIEWER),
        "erin": Account(hashed, ADJUDICATOR),
        "frank": Account(":adjudicator", REVIEWER),
        "gina": Account("g1", ADJUDICATOR),
    }
    assert adjudicators(accounts) == {"alice", "bob", "erin", "gina"}
    users = load_users(users_file)
    assert check_password(users, "alice", "pw") and not check_password(users, "alice", "pw:adj")
    assert check_password(users, "carol", "pa:ss") and check_password(users, "erin", "h:pw")
    users_file.write_text("henry:\n")
    with pytest.raises(ReviewAuthError, match="'name:password' or 'name:password:role'"):
        load_accounts(users_file)


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
    with pytest.raises(ReviewAuthError, match="plain passwords for alice"):
        require_auth_off_loopback("0.0.0.0", {"alice": "pw", "bob": hash_password("b")})
    require_auth_off_loopback("0.0.0.0", {"bob": hash_password("b")})
    require_auth_off_loopback("127.0.0.1", {"alice": "pw"})
    require_auth_off_loopback("127.0.0.1", {})
