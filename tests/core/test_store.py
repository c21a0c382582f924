"""Candidate store: the decision log, derived states, concurrency and crash safety."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from perbench.errors import SchemaError, StoreError
from perbench.review_log import Decision, derive_state
from perbench.store import CandidateStore


@pytest.fixture
def store(tmp_path, samples):
    created = CandidateStore(tmp_path / "build.sqlite", create=True)
    created.add_candidates(samples)
    return created


def test_candidates_round_trip(store, samples):
    assert store.count() == len(samples)
    assert store.count("mcq") == len(samples) // 3
    first = samples[0]
    loaded = store.candidate(first.id)
    assert loaded.to_dict() == first.to_dict()
    assert loaded.image == first.image


def test_missing_store_and_unknown_ids_are_clear_errors(tmp_path, store):
    with pytest.raises(StoreError, match="not found"):
        CandidateStore(tmp_path / "nope.sqlite")
    with pytest.raises(StoreError, match="no candidate with id 'x'"):
        store.record("x", "alice", "accept")
    with pytest.raises(StoreError, match="unknown decision"):
        store.record(store.candidate_ids()[0], "alice", "maybe")
    (tmp_path / "junk.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable candidate store"):
        CandidateStore(tmp_path / "junk.sqlite")


def test_accept_edit_reject_undo(store, samples):
    mcq = next(s for s in samples if s.task == "mcq")
    store.record(mcq.id, "alice", "edit_accept", after={"answer": 0, "options": ["cat", "dog"]})
    state = store.state(mcq.id)
    assert state.status == "accepted" and state.edits["answer"] == 0
    final = next(s for s in store.accepted_samples("mcq") if s.id == mcq.id)
    assert final.options == ["cat", "dog"] and final.meta["review"]["accepted_by"] == ["alice"]
    assert store.candidate(mcq.id).options == mcq.options, "the candidate itself never changes"
    store.record(mcq.id, "bob", "reject", reason="wrong category")
    assert store.state(mcq.id).status == "conflict"
    undone = store.undo_last("bob")
    assert undone.decision == "reject"
    assert store.state(mcq.id).status == "accepted"
    assert store.undo_last("carol") is None
    assert [d.decision for d in store.decisions(mcq.id)] == ["edit_accept", "reject", "undo"]
    first = store.decisions()[0].seq
    assert [d.decision for d in store.decisions_since(first)] == ["reject", "undo"]


def test_edits_are_validated(store, samples):
    mcq = next(s for s in samples if s.task == "mcq")
    with pytest.raises(SchemaError, match="answer"):
        store.record(mcq.id, "alice", "edit_accept", after={"answer": 9})
    with pytest.raises(StoreError, match="cannot be edited"):
        store.record(mcq.id, "alice", "edit_accept", after={"id": "other"})


def test_log_is_append_only(store):
    sample_id = store.candidate_ids()[0]
    store.record(sample_id, "alice", "accept")
    connection = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("DELETE FROM decisions")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("UPDATE decisions SET decision = 'reject'")


def _entry(seq, reviewer, decision, after=None, undoes=None):
    return Decision(seq, "s", reviewer, decision, None, None, None, after, undoes, "t", "v")


@pytest.mark.parametrize(
    "log, required, status",
    [
        ([], 1, "pending"),
        ([_entry(1, "a", "skip")], 1, "pending"),
        ([_entry(1, "a", "accept")], 1, "accepted"),
        ([_entry(1, "a", "accept")], 2, "in_review"),
        ([_entry(1, "a", "accept"), _entry(2, "b", "accept")], 2, "accepted"),
        ([_entry(1, "a", "accept"), _entry(2, "a", "reject")], 1, "rejected"),
        ([_entry(1, "a", "accept"), _entry(2, "b", "reject")], 1, "conflict"),
        (
            [_entry(1, "a", "accept"), _entry(2, "b", "reject"), _entry(3, "c", "resolve_accept")],
            1,
            "accepted",
        ),
        (
            [
                _entry(1, "a", "edit_accept", {"answer": 1}),
                _entry(2, "b", "edit_accept", {"answer": 2}),
            ],
            1,
            "conflict",
        ),
        ([_entry(1, "a", "reject"), _entry(2, "a", "undo", undoes=1)], 1, "pending"),
    ],
)
def test_derive_state(log, required, status):
    assert derive_state("s", log, required).status == status


def _write_decisions(path, reviewer, count, ids):
    store = CandidateStore(path)
    for index in range(count):
        store.record(ids[index % len(ids)], reviewer, "accept" if index % 2 else "reject")


def test_two_processes_writing_concurrently_lose_nothing(store):
    ids = store.candidate_ids()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_write_decisions, args=(store.path, name, 500, ids))
        for name in ("alice", "bob")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    log = store.decisions()
    assert len(log) == 1000
    assert {d.reviewer for d in log} == {"alice", "bob"}
    assert len({d.seq for d in log}) == 1000


KILLED_WRITER = """
import sys
from perbench.store import CandidateStore
store = CandidateStore(sys.argv[1])
ids = store.candidate_ids()
for index in range(100000):
    store.record(ids[index % len(ids)], "writer", "accept", note=f"n{index}")
    print(index, flush=True)
"""


def test_killed_writer_keeps_every_committed_decision(store):
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(store.path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged = -1
    deadline = time.monotonic() + 120
    while acknowledged < 200 and time.monotonic() < deadline:
        acknowledged = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    reopened = CandidateStore(store.path)
    assert reopened.integrity_check() == "ok"
    notes = [d.note for d in reopened.decisions()]
    # every decision whose commit returned before the kill is there, in order, none half-written
    assert notes[: acknowledged + 1] == [f"n{i}" for i in range(acknowledged + 1)]
    assert all(d.decision == "accept" and d.reviewer == "writer" for d in reopened.decisions())
    reopened.record(reopened.candidate_ids()[0], "after-crash", "accept")


def _create_stores(folder, rounds, barrier, failures):
    for index in range(rounds):
        barrier.wait(timeout=600)
        try:
            CandidateStore(folder / f"new-{index}.sqlite", create=True).set_info(round=index)
        except StoreError as exc:
            failures.put(str(exc))


def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers, rounds = 4, 12
    barrier, failures = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_create_stores, args=(tmp_path, rounds, barrier, failures))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    errors = []
    while not failures.empty():
        errors.append(failures.get())
    assert errors == []
    for index in range(rounds):
        assert CandidateStore(tmp_path / f"new-{index}.sqlite").info() == {"round": index}


def test_a_file_that_is_not_sqlite_is_a_store_error(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("these are not the candidates you are looking for\n" * 100)
    with pytest.raises(StoreError, match="not a readable candidate store"):
        CandidateStore(path)


def test_edits_with_bytes_counts_are_stored_as_json(store, samples):
    sample = next(s for s in samples if s.task == "vt_res")
    mask = sample.prompts[0]["mask"]
    edited = {"size": mask["size"], "counts": mask["counts"].encode()}
    store.record(sample.id, "alice", "edit_accept", after={"targets": [edited]})
    assert store.state(sample.id).edits == {"targets": [mask]}
    assert next(store.accepted_samples("vt_res")).targets == [mask]


def test_decisions_bind_to_versions_and_old_stores_gain_the_column(store):
    from perbench.review_log import payload_version

    path = store.path
    sample = next(store.candidates("mcq"))
    store.close()
    conn = sqlite3.connect(path)  # a store from before versions: drop the column
    conn.executescript(
        "DROP TRIGGER decisions_no_update; DROP TRIGGER decisions_no_delete;"
        "ALTER TABLE decisions DROP COLUMN version;"
        "INSERT INTO decisions(sample_id, reviewer, decision, created_at, app_version) "
        f"VALUES ('{sample.id}', 'old', 'accept', 't', 'v');"
    )
    conn.close()
    store = CandidateStore(path)
    other = (sample.answer + 1) % len(sample.options)
    draft = payload_version(sample.to_dict())
    edited = payload_version(sample.copy_with(answer=other).to_dict())
    store.record(sample.id, "alice", "edit_accept", after={"answer": other})
    store.record(sample.id, "bob", "accept")
    assert [d.version for d in store.decisions()] == [None, edited, draft]
    state = store.state(sample.id)
    assert state.status == "conflict" and state.versions == {edited: ["alice"], draft: ["bob"]}
    store.record(sample.id, "bob", "accept", version=edited)  # bob saw alice's edit
    state = store.state(sample.id)
    assert state.status == "accepted" and state.edits == {"answer": other}
    assert state.versions == {edited: ["alice", "bob"]}
