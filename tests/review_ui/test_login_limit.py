"""Login rate limit: the 6th wrong login within a minute is refused, per user and per address."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from review_ui.app import build_app, launch_app
from review_ui.login_limit import LoginLimiter, limited_auth


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_block_with_a_growing_back_off():
    clock = Clock()
    limiter = LoginLimiter(clock=clock)
    auth = limited_auth(limiter, lambda name, password: password == "right")
    assert [auth("alice", "wrong") for _ in range(5)] == [False] * 5
    assert not auth("alice", "right")  # the 6th, right password or not
    assert auth("bob", "right")  # another user is not blocked
    clock.now += 61
    assert auth("alice", "right")  # the block ends; a success clears the count
    for _ in range(5):
        auth("alice", "wrong")
    clock.now += 61
    assert auth("alice", "right")  # a success clears the back-off too
    for _ in range(5):
        auth("carol", "wrong")
    clock.now += 61
    for _ in range(5):
        auth("carol", "wrong")
    clock.now += 61  # the second block lasts two minutes
    assert not auth("carol", "right") and limiter.blocked("user:carol") > 0


def _login(url: str, name: str, password: str) -> int:
    data = urllib.parse.urlencode({"username": name, "password": password}).encode()
    try:
        with urllib.request.urlopen(url + "login", data=data, timeout=300) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_sixth_wrong_login_from_an_address_is_refused(store, tmp_path, free_port):
    app = build_app(store, "nobody", tmp_path / "display")
    users = {f"user{n}": "pw" for n in range(7)}
    url = launch_app(app, "127.0.0.1", free_port, users, tmp_path / "display")
    try:
        # five different users, one wrong password each: the address is what is counted
        assert [_login(url, f"user{n}", "bad") for n in range(5)] == [400] * 5
        assert _login(url, "user6", "pw") == 429
    finally:
        app.close()
