from __future__ import annotations

import io
import json

from perbench.cli import main
from perbench.store import CandidateStore
from review_ui.auth import USERS_ENV, check_password


def test_report_and_required_accepts(store, capsys):
    ids = store.candidate_ids()
    store.record(ids[0], "alice", "accept")
    store.record(ids[0], "bob", "accept")
    assert main(["review", str(store.path), "--required-accepts", "2", "--report"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["pairs"]["alice|bob"]["agreement"] == 1.0
    assert CandidateStore(store.path).required_accepts == 2


def test_hash_password_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["review", "--hash-password"]) == 0
    line = capsys.readouterr().out.strip()
    assert check_password({"alice": line}, "alice", "s3cret")


def test_errors_are_one_line_with_status_2(store, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(USERS_ENV, raising=False)
    assert main(["review", str(tmp_path / "missing.sqlite")]) == 2
    assert "candidate store not found" in capsys.readouterr().err
    assert main(["review", str(store.path), "--host", "0.0.0.0"]) == 2
    assert "refusing to listen on 0.0.0.0 without login" in capsys.readouterr().err
    assert main(["review", str(store.path), "--required-accepts", "0"]) == 2
    assert main(["review"]) == 2
    assert "needs the candidate store path" in capsys.readouterr().err
