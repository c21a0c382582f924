"""The submission server in Debian's chromium: what a team does, and every response scanned."""

from __future__ import annotations

import html
import shutil
import socket
import threading
import time

import pytest

from evaluators.server.app import ServerConfig, make_app
from evaluators.server.jobs import Benchmark
from tests.evaluators.serve_helpers import TEAMS, complete_predictions, secrets_of, withheld

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium"),
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def url(release_path, tmp_path):
    import uvicorn

    public, key = withheld(release_path, tmp_path)
    benchmark = Benchmark(public, key)
    app = make_app(ServerConfig(tmp_path / "server", {benchmark.name: benchmark}, TEAMS, quota=2))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", benchmark.name
    server.should_exit = True
    thread.join(timeout=30)


def _log_in(browser, base: str, team: str, bodies: list[str]):
    page = browser.new_page(viewport={"width": 1366, "height": 768})

    def keep(response) -> None:
        try:
            bodies.append(response.body().decode("utf-8", errors="replace"))
        except Exception:  # redirects and aborted requests carry no body
            pass

    page.on("response", keep)
    page.goto(f"{base}/login")
    page.fill("input[name=team]", team)
    page.fill("input[name=token]", TEAMS[team])
    page.click("#login")
    page.wait_for_selector("#submissions", timeout=60000)
    return page


def _upload(page, benchmark: str, path, model: str) -> None:
    page.select_option("select[name=benchmark]", benchmark)
    page.fill("input[name=model]", model)
    page.set_input_files("input[name=predictions]", str(path))
    page.click("#submit")


def test_a_team_submits_and_nothing_secret_reaches_the_browser(
    url, samples, tricky, release, wordnet, jsonl, tmp_path
):
    from playwright.sync_api import sync_playwright

    base, benchmark = url
    good = jsonl(tmp_path / "good.jsonl", complete_predictions(samples, tricky[0]))
    bad = jsonl(tmp_path / "bad.jsonl", ['{"id": "nope", "prediction": "x"}'])
    bodies: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        red = _log_in(browser, base, "red", bodies)
        _upload(red, benchmark, good, "red-private-model")
        red.wait_for_selector("#progress", timeout=60000)
        assert red.locator("#progress").get_attribute("data-status") in ("scoring", "scored")
        red.wait_for_selector("table.scores", timeout=600000)
        scores = red.inner_text("table.scores")
        assert "official" in scores and "strict" in scores
        submission_url = red.url

        red.goto(base + "/")
        _upload(red, benchmark, bad, "m")
        error = red.inner_text("#error")
        assert "bad.jsonl" in error and "unknown id" in error

        _upload(red, benchmark, good, "second")
        red.wait_for_selector("#progress", timeout=60000)
        red.goto(base + "/")
        _upload(red, benchmark, good, "third")
        assert "daily quota reached" in red.inner_text("#error")
        assert red.inner_text("#quota").startswith("0 of 2")

        blue = _log_in(browser, base, "blue", bodies)
        blue.goto(submission_url)
        assert "No such submission" in blue.content()
        assert "red-private-model" not in blue.content()
        blue.goto(base + "/leaderboard/")
        assert "red-private-model" not in blue.content()
        red.goto(base + "/")
        red.wait_for_selector("button.visibility", timeout=60000)
        red.locator("button.visibility").last.click()
        blue.goto(base + "/leaderboard/")
        assert "red-private-model" in blue.content()
        browser.close()
    text = html.unescape("\n".join(bodies))
    assert len(bodies) > 10
    for secret in secrets_of(list(release.samples())):
        assert secret not in text
