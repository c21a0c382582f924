"""The submission server through its HTTP interface (FastAPI's TestClient, no browser)."""

from __future__ import annotations

import html
import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from evaluators.api import evaluate
from evaluators.server.app import ServerConfig, make_app
from evaluators.server.jobs import Benchmark
from perbench.errors import PerBenchError
from tests.evaluators.serve_helpers import (
    TEAMS,
    complete_predictions,
    secrets_of,
    wait_scored,
    withheld,
)


@pytest.fixture
def server(release_path, tmp_path):
    public, key = withheld(release_path, tmp_path)
    benchmark = Benchmark(public, key)
    config = ServerConfig(
        data_dir=tmp_path / "server", benchmarks={benchmark.name: benchmark}, teams=TEAMS, quota=2
    )
    app = make_app(config)
    return app, benchmark, tmp_path


def _client(app, team: str | None = None) -> TestClient:
    client = TestClient(app)
    if team:
        reply = client.post("/login", data={"team": team, "token": TEAMS[team]})
        assert reply.status_code == 200 and "Your submissions" in reply.text
    return client


def _submit(client, benchmark: str, path, model: str = "m1"):
    with open(path, "rb") as handle:
        return client.post(
            "/submit",
            data={"benchmark": benchmark, "model": model, "revision": "r1"},
            files={"predictions": (path.name, handle, "application/jsonl")},
        )


def test_scores_equal_evaluate_with_the_key(server, release_path, samples, tricky, wordnet, jsonl):
    app, benchmark, tmp = server
    predictions = jsonl(tmp / "preds.jsonl", complete_predictions(samples, tricky[0]))
    client = _client(app, "red")
    reply = _submit(client, benchmark.name, predictions)
    assert reply.status_code == 200, reply.text
    submission_id = reply.url.path.rsplit("/", 1)[1]
    state = wait_scored(client, submission_id)
    assert state["status"] == "scored", state
    for protocol in ("official", "strict"):
        expected = evaluate(release_path, predictions, "m1", protocol=protocol, progress=False)
        assert state["headline"][protocol] == expected["headline"]
        written = next((tmp / "server/results" / submission_id).glob(f"*{protocol}*.results.json"))
        assert json.loads(written.read_text())["metrics"] == expected["metrics"]
    page = client.get(f"/submissions/{submission_id}").text
    assert "strict" in page and "official" in page


def test_bad_file_gets_the_cli_message_and_nothing_is_recorded(server, jsonl):
    app, benchmark, tmp = server
    bad = jsonl(tmp / "bad.jsonl", [b"\xff\xfe not utf-8", '{"id": 5}'])
    with pytest.raises(PerBenchError) as cli:
        benchmark.validate(bad)
    client = _client(app, "red")
    reply = _submit(client, benchmark.name, bad)
    assert reply.status_code == 400
    shown = str(cli.value).splitlines()[1:]  # the first line names the path on each side
    page = html.unescape(reply.text)
    assert shown and all(line.strip() in page for line in shown if line.strip())
    assert "bad.jsonl" in reply.text
    assert app.state.server.ledger.events() == []
    assert list((tmp / "server/uploads").iterdir()) == []


def test_quota_is_enforced(server, samples, tricky, wordnet, jsonl):
    app, benchmark, tmp = server
    predictions = jsonl(tmp / "p.jsonl", complete_predictions(samples, tricky[0]))
    client = _client(app, "red")
    ids = []
    for _ in range(2):
        reply = _submit(client, benchmark.name, predictions)
        ids.append(reply.url.path.rsplit("/", 1)[1])
    reply = _submit(client, benchmark.name, predictions)
    assert reply.status_code == 429 and "daily quota reached" in reply.text
    assert len(app.state.server.ledger.submissions("red")) == 2
    blue = _client(app, "blue")
    assert _submit(blue, benchmark.name, predictions).status_code == 200  # per team
    for submission_id in ids:
        wait_scored(client, submission_id)


def test_private_results_stay_with_their_team(server, samples, tricky, wordnet, jsonl):
    app, benchmark, tmp = server
    predictions = jsonl(tmp / "p.jsonl", complete_predictions(samples, tricky[0]))
    red = _client(app, "red")
    submission_id = _submit(red, benchmark.name, predictions, "secret-model").url.path[13:]
    wait_scored(red, submission_id)
    blue = _client(app, "blue")
    assert blue.get(f"/submissions/{submission_id}").status_code == 404
    assert blue.get(f"/api/submissions/{submission_id}").status_code == 404
    assert "secret-model" not in blue.get("/").text
    anonymous = TestClient(app)
    assert "secret-model" not in anonymous.get("/leaderboard/").text
    assert anonymous.get(f"/api/submissions/{submission_id}").status_code == 404
    reply = blue.post(f"/submissions/{submission_id}/visibility", data={"visibility": "public"})
    assert reply.status_code == 404
    red.post(f"/submissions/{submission_id}/visibility", data={"visibility": "public"})
    assert "secret-model" in anonymous.get("/leaderboard/").text
    red.post(f"/submissions/{submission_id}/visibility", data={"visibility": "private"})
    assert "secret-model" not in anonymous.get("/leaderboard/").text
    assert [e.kind for e in app.state.server.ledger.events(submission_id)] == [
        "submitted",
        "scored",
        "published",
        "hidden",
    ]


def test_no_response_holds_an_answer(server, samples, tricky, wordnet, jsonl, release):
    app, benchmark, tmp = server
    predictions = jsonl(tmp / "p.jsonl", complete_predictions(samples, tricky[0]))
    client = _client(app, "red")
    bodies = [client.get("/").text]
    reply = _submit(client, benchmark.name, predictions)
    submission_id = reply.url.path.rsplit("/", 1)[1]
    bodies += [reply.text, json.dumps(wait_scored(client, submission_id))]
    client.post(f"/submissions/{submission_id}/visibility", data={"visibility": "public"})
    for path in ("/", f"/submissions/{submission_id}", "/leaderboard/", "/login"):
        bodies.append(client.get(path).text)
    text = "\n".join(bodies)
    for secret in secrets_of(list(release.samples())):
        assert secret not in text
    assert '"answer"' not in text and "answers_sha256" not in text


def test_ledger_is_hash_chained(server, samples, tricky, wordnet, jsonl):
    app, benchmark, tmp = server
    predictions = jsonl(tmp / "p.jsonl", complete_predictions(samples, tricky[0]))
    client = _client(app, "red")
    wait_scored(client, _submit(client, benchmark.name, predictions).url.path[13:])
    ledger = app.state.server.ledger
    assert ledger.verify() == (True, None)
    with sqlite3.connect(ledger.path) as conn:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("UPDATE events SET team = 'blue'")
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET data = '{}' WHERE kind = 'scored'")
    ok, broken = ledger.verify()
    assert not ok and broken == 2


def test_hostile_uploads_are_refused_cleanly(server, jsonl):
    app, benchmark, tmp = server
    client = _client(app, "red")
    deep = jsonl(
        tmp / "deep.jsonl", ['{"id": "x", "prediction": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    )
    reply = _submit(client, benchmark.name, deep)
    assert reply.status_code == 400 and "Submission refused" in reply.text
    reply = _submit(client, "no-such-benchmark", deep)
    assert reply.status_code == 400 and "unknown benchmark" in reply.text
    reply = _submit(client, benchmark.name, deep, model="bad\x1bname")
    assert reply.status_code == 400 and "printable" in reply.text
    too_big = client.post(
        "/submit",
        content=b"x" * 10,
        headers={"content-length": str(200 << 20), "content-type": "multipart/form-data; b=x"},
    )
    assert too_big.status_code == 413
    empty = jsonl(tmp / "empty.jsonl", [])
    assert _submit(client, benchmark.name, empty).status_code == 400
    anonymous = TestClient(app)
    assert _submit(anonymous, benchmark.name, deep).status_code == 401
    assert app.state.server.ledger.events() == []
    assert list((tmp / "server/uploads").iterdir()) == []


def test_login_block_is_per_address_and_team(server):
    app, _, _ = server
    client = TestClient(app)
    for _ in range(5):
        assert client.post("/login", data={"team": "red", "token": "wrong"}).status_code == 401
    blocked = client.post("/login", data={"team": "red", "token": TEAMS["red"]})
    assert blocked.status_code == 429 and "Too many wrong tokens" in blocked.text
    assert client.post("/login", data={"team": "blue", "token": TEAMS["blue"]}).status_code == 200


def test_serve_cli_refuses_bad_arguments(tmp_path, capsys, monkeypatch):
    from perbench.cli import main

    assert main(["serve", "--data", str(tmp_path)]) == 2
    assert "--benchmark" in capsys.readouterr().err
    monkeypatch.setenv("PERBENCH_SERVE_TEAMS", "red:tok")
    assert main(["serve", "--benchmark", "nocolon", "--data", str(tmp_path)]) == 2
    assert "PUBLIC_RELEASE:KEY" in capsys.readouterr().err
    monkeypatch.setenv("PERBENCH_SERVE_TEAMS", "red:tok")
    code = main(["serve", "--benchmark", "a:b", "--data", str(tmp_path), "--host", "0.0.0.0"])
    assert code == 2 and "must be hashed" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("s3cret\n"))
    assert main(["serve", "--hash-token"]) == 0
    stored = capsys.readouterr().out.strip()
    from perbench.passwords import secret_matches

    assert secret_matches(stored, "s3cret") and not secret_matches(stored, "other")


def test_an_altered_public_release_is_refused_before_serving(release_path, tmp_path):
    from perbench.errors import ReleaseError

    public, key = withheld(release_path, tmp_path)
    (public / "extra.json").write_text("{}")
    with pytest.raises(ReleaseError, match="differs from its manifest"):
        Benchmark(public, key)
