"""Login rate limit (B4): per (address, user) and per address, never a global lock on a user
name; the answers say what happened (wrong password vs paused), on the login page too."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from review_ui.app import build_app, launch_app
from review_ui.login_limit import ADDRESS_MAX_FAILURES, NOTE_ID, LoginGuard, LoginLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _guard(clock: Clock) -> LoginGuard:
    return LoginGuard(LoginLimiter(clock=clock), LoginLimiter(ADDRESS_MAX_FAILURES, clock=clock))


def test_five_failures_pause_one_address_and_user_with_a_growing_back_off():
    clock = Clock()
    guard = _guard(clock)
    messages = [guard.record("10.0.0.9", "alice", ok=False) for _ in range(5)]
    assert messages[0] == "Wrong user name or password (4 tries left before a pause)."
    assert "Logins as 'alice' are paused for 60 s" in messages[-1]
    refusal = guard.refusal("10.0.0.9", "alice")
    assert "Too many failed logins as 'alice'" in refusal and "not checked" in refusal
    assert guard.refusal("10.0.0.7", "alice") is None  # alice from elsewhere: not locked out
    assert guard.refusal("10.0.0.9", "bob") is None  # nor another user from that address
    clock.now += 61
    assert guard.refusal("10.0.0.9", "alice") is None
    assert guard.record("10.0.0.9", "alice", ok=True) is None  # a success clears the count
    for _ in range(2):  # two blocks in a row: the second lasts two minutes
        for _ in range(5):
            guard.record("10.0.0.9", "carol", ok=False)
        clock.now += 61
    assert "try again in 59 s" in guard.refusal("10.0.0.9", "carol")


def test_an_address_trying_many_names_is_paused():
    guard = _guard(Clock())
    for n in range(ADDRESS_MAX_FAILURES):
        guard.record("10.0.0.5", f"user{n}", ok=False)
    assert "from your address" in guard.refusal("10.0.0.5", "someone")
    assert guard.refusal("10.0.0.6", "someone") is None


def _login(url: str, name: str, password: str) -> tuple[int, str]:
    data = urllib.parse.urlencode({"username": name, "password": password}).encode()
    try:
        with urllib.request.urlopen(url + "login", data=data, timeout=30) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()).get("detail", "")


def test_login_answers_say_what_happened(store, tmp_path, free_port):
    app = build_app(store, "nobody", tmp_path / "display")
    users = {"alice": "pw", "bob": "pw"}
    url = launch_app(app, "127.0.0.1", free_port, users, tmp_path / "display")
    try:
        answers = [_login(url, "alice", "bad") for _ in range(5)]
        assert [code for code, _ in answers] == [400, 400, 400, 400, 429]
        assert answers[0][1] == "Wrong user name or password (4 tries left before a pause)."
        code, detail = _login(url, "alice", "pw")  # the right password during the pause
        assert code == 429 and "Too many failed logins as 'alice'" in detail
        assert "password was not checked" in detail
        assert _login(url, "bob", "pw") == (200, "")  # the pause is alice's, from this address
        with urllib.request.urlopen(url, timeout=30) as response:  # the login page
            assert NOTE_ID in response.read().decode()
    finally:
        app.close()
