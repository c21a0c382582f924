"""The decision log is tamper-evident: REPLACE refused, rewrites found, bad releases refused."""

from __future__ import annotations

import json
import sqlite3

import pytest

from perbench.cli import main
from perbench.errors import ReleaseError
from perbench.log_chain import GENESIS
from perbench.release import release_from_store
from perbench.store import CandidateStore


def _rewrite_with_triggers_dropped(path, seq: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER decisions_no_update")
    connection.execute("UPDATE decisions SET decision = 'reject' WHERE seq = ?", (seq,))
    connection.commit()
    connection.close()


def test_insert_or_replace_of_a_past_decision_is_refused(store):
    connection = sqlite3.connect(store.path)
    row = connection.execute("SELECT * FROM decisions WHERE seq = 2").fetchone()
    forged = (row[0], row[1], "mallory", "reject", *row[4:])
    marks = ", ".join("?" * len(forged))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute(f"INSERT OR REPLACE INTO decisions VALUES ({marks})", forged)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("INSERT OR REPLACE INTO decision_chain VALUES (2, '[]', 'x')")
    assert store.verify_log().ok


def test_a_rewrite_after_dropping_triggers_names_the_first_broken_seq(store, capsys):
    assert store.verify_log().ok and store.verify_log().entries == store.count()
    _rewrite_with_triggers_dropped(store.path, 3)
    check = CandidateStore(store.path).verify_log()
    assert check.broken_seq == 3 and "differs" in check.reason
    assert main(["review", str(store.path), "--verify-log"]) == 2
    assert "seq 3" in capsys.readouterr().err


def test_a_forged_append_without_chain_entry_is_found(store):
    connection = sqlite3.connect(store.path)
    connection.execute(
        "INSERT INTO decisions(sample_id, reviewer, decision, created_at, app_version) "
        "SELECT sample_id, 'mallory', 'reject', created_at, app_version FROM decisions LIMIT 1"
    )
    connection.commit()
    check = CandidateStore(store.path).verify_log()
    assert check.broken_seq == store.count() + 1 and "no chain entry" in check.reason


def test_a_release_from_a_broken_store_is_refused_and_a_good_one_records_the_head(store, tmp_path):
    head = store.verify_log().head
    assert head != GENESIS
    good = release_from_store(store, tmp_path / "good", "t", "1", progress=False)
    review = json.loads((good / "manifest.json").read_text())["review"]
    assert review["log_chain_head"] == head and review["log_entries"] == store.count()
    _rewrite_with_triggers_dropped(store.path, 1)
    with pytest.raises(ReleaseError, match="broken at seq 1"):
        release_from_store(CandidateStore(store.path), tmp_path / "bad", "t", "2", progress=False)
