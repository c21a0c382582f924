"""Content under the chain: each forgery of a reviewed store is found, and older stores upgrade.

Every test makes its own hostile store with plain sqlite3, as an attacker with write access to the
file would, then checks that ``verify_log``, ``perbench review --verify-log`` and ``release
create`` refuse it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from perbench import log_chain
from perbench.cli import main
from perbench.errors import ReleaseError, StoreError
from perbench.release import release_from_store
from perbench.store import CandidateStore


def _execute(path, *statements: str, params: tuple = ()) -> None:
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement, params if "?" in statement else ())
    connection.commit()
    connection.close()


def _refused_everywhere(path, tmp_path, capsys, words: str) -> None:
    """``verify_log`` names the forgery; ``--verify-log`` and ``release create`` exit 2."""
    check = CandidateStore(path).verify_log()
    assert not check.ok and words in check.reason
    assert main(["review", str(path), "--verify-log"]) == 2
    assert words in capsys.readouterr().err
    with pytest.raises(ReleaseError, match=words):
        release_from_store(CandidateStore(path), tmp_path / "forged", "t", "1", progress=False)
    args = ["release", "create", str(path), "--out", str(tmp_path / "cli"), "--name", "t"]
    assert main([*args, "--version", "1", "--accept-audit-failures", "tiny test store"]) == 2
    assert words in capsys.readouterr().err and not (tmp_path / "cli").exists()


def test_each_decision_records_the_payload_and_image_it_was_made_on(store):
    mcq = next(store.candidates("mcq"))
    entry = store.decisions(mcq.id)[0]
    connection = sqlite3.connect(store.path)
    payload, data = connection.execute(
        "SELECT payload, data FROM candidates JOIN images USING (image_id) WHERE id = ?",
        (mcq.id,),
    ).fetchone()
    assert entry.payload_sha256 == hashlib.sha256(payload.encode()).hexdigest()
    assert entry.image_sha256 == hashlib.sha256(data).hexdigest()
    assert store.verify_log().ok


def test_an_updated_accepted_mcq_answer_is_found(store, tmp_path, capsys):
    mcq = next(store.candidates("mcq"))
    payload = mcq.to_dict(with_image=False)
    payload["answer"] = (payload["answer"] + 1) % len(payload["options"])
    _execute(
        store.path,
        "UPDATE candidates SET payload = ? WHERE id = ?",
        params=(json.dumps(payload), mcq.id),
    )
    _refused_everywhere(store.path, tmp_path, capsys, f"sample {mcq.id}: the payload differs")


def test_updated_image_bytes_are_found(store, tmp_path, capsys):
    image_id = next(store.candidates()).image_id
    forged = store.image_bytes(image_id)[:-1] + b"\0"
    _execute(store.path, "UPDATE images SET data = ? WHERE image_id = ?", params=(forged, image_id))
    _refused_everywhere(store.path, tmp_path, capsys, "the image bytes differ")


def test_a_rewritten_content_hash_breaks_the_chain(store, tmp_path, capsys):
    mcq = next(store.candidates("mcq"))
    payload = mcq.to_dict(with_image=False)
    payload["answer"] = (payload["answer"] + 1) % len(payload["options"])
    text = json.dumps(payload)
    _execute(
        store.path,
        "DROP TRIGGER decisions_no_update",
        "UPDATE candidates SET payload = ? WHERE id = ?",
        params=(text, mcq.id),
    )
    _execute(
        store.path,
        "UPDATE decisions SET payload_sha256 = ? WHERE sample_id = ?",
        params=(hashlib.sha256(text.encode()).hexdigest(), mcq.id),
    )
    _refused_everywhere(store.path, tmp_path, capsys, "differs from its hash")


@pytest.mark.parametrize(
    "statements",
    [
        ("DROP TABLE decision_chain",),
        (
            "DROP TRIGGER decision_chain_no_delete",
            "DELETE FROM decision_chain",
        ),
    ],
    ids=["dropped", "emptied"],
)
def test_a_store_with_decisions_but_no_chain_is_an_error_not_a_migration(store, statements, capsys):
    path = store.path
    store.close()
    _execute(path, "DROP TRIGGER decisions_no_update")
    _execute(path, "UPDATE decisions SET decision = 'reject' WHERE seq = 1", *statements)
    with pytest.raises(StoreError, match="hash chain .* is missing or emptied"):
        CandidateStore(path)
    assert main(["review", str(path), "--verify-log"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and str(path) in err and "never re-chains" in err
    with pytest.raises(StoreError, match="missing or emptied"):  # still refused: not re-chained
        CandidateStore(path)


def test_a_store_without_decisions_gets_its_chain_back(tmp_path, samples):
    path = tmp_path / "fresh.sqlite"
    CandidateStore(path, create=True).add_candidates(samples)
    _execute(path, "DROP TABLE decision_chain")
    reopened = CandidateStore(path)
    reopened.record(samples[0].id, "bob", "accept")
    assert reopened.verify_log().ok


@pytest.mark.parametrize("value", ["0", "-1", '"2"', "true", "1.5"])
def test_required_accepts_below_one_or_not_an_integer_is_an_error(store, tmp_path, value):
    _execute(store.path, "INSERT OR REPLACE INTO info(key, value) VALUES ('required_accepts', ?)",
             params=(value,))  # fmt: skip
    reopened = CandidateStore(store.path)
    with pytest.raises(StoreError, match=f"{store.path}: info.required_accepts is"):
        reopened.states()
    with pytest.raises(StoreError, match="at least 1 accept"):
        release_from_store(reopened, tmp_path / "r", "t", "1", progress=False)
    with pytest.raises(StoreError, match="at least 1 accept"):
        reopened.set_info(required_accepts=0)


def test_a_decided_candidate_keeps_its_payload(store, samples):
    mcq = next(s for s in samples if s.task == "mcq")
    changed = mcq.copy_with(answer=(mcq.answer + 1) % len(mcq.options))
    with pytest.raises(StoreError, match=f"sample {mcq.id} has review decisions"):
        store.add_candidates([changed])
    assert store.add_candidates([mcq]) == 1  # the same payload again: a resumed build
    assert store.verify_log().ok


def _old_store(path, samples) -> None:
    """A store as perbench wrote it before content hashes: no hash columns, chained decisions."""
    CandidateStore(path, create=True).add_candidates(samples)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(
        "DROP TABLE content_seal;"
        "ALTER TABLE decisions DROP COLUMN payload_sha256;"
        "ALTER TABLE decisions DROP COLUMN image_sha256;"
    )
    for index, sample in enumerate(samples):
        connection.execute("BEGIN IMMEDIATE")
        cursor = connection.execute(
            "INSERT INTO decisions(sample_id, reviewer, decision, created_at, app_version) "
            "VALUES (?, 'alice', ?, 't', 'old')",
            (sample.id, "accept" if index % 3 else "reject"),
        )
        log_chain.append(connection, cursor.lastrowid)
        connection.execute("COMMIT")
    connection.close()


def test_an_older_store_is_upgraded_once_and_then_guards_its_content(tmp_path, samples, capsys):
    path = tmp_path / "old.sqlite"
    _old_store(path, samples)
    head = log_chain.verify(sqlite3.connect(path)).head
    upgraded = CandidateStore(path)
    record = upgraded.info()["content_upgrade"]
    assert record["sealed_samples"] == len(samples) and record["chain_head"] == head
    assert upgraded.verify_log().ok and upgraded.verify_log().head == head
    upgraded.record(samples[1].id, "bob", "accept")
    assert upgraded.verify_log().ok
    assert CandidateStore(path).info()["content_upgrade"] == record  # once only
    mcq = next(s for s in samples if s.task == "mcq")
    payload = mcq.to_dict(with_image=False)
    payload["answer"] = (payload["answer"] + 1) % len(payload["options"])
    _execute(
        path, "UPDATE candidates SET payload = ? WHERE id = ?", params=(json.dumps(payload), mcq.id)
    )
    _refused_everywhere(path, tmp_path, capsys, f"sample {mcq.id}: the payload differs")


def test_an_altered_upgrade_seal_is_found(tmp_path, samples):
    path = tmp_path / "old.sqlite"
    _old_store(path, samples)
    CandidateStore(path).close()
    _execute(
        path,
        "DROP TRIGGER content_seal_no_update",
        "UPDATE content_seal SET payload_sha256 = 'x' WHERE sample_id = ?",
        params=(samples[0].id,),
    )
    check = CandidateStore(path).verify_log()
    assert not check.ok and "content seal" in check.reason


def test_an_inconsistent_older_store_is_not_upgraded(tmp_path, samples):
    path = tmp_path / "old.sqlite"
    _old_store(path, samples)
    _execute(
        path,
        "DROP TRIGGER decisions_no_update",
        "UPDATE decisions SET decision = 'accept' WHERE seq = 1",
    )
    with pytest.raises(StoreError, match="cannot upgrade .* broken at seq 1"):
        CandidateStore(path)
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(decisions)")}
    assert "payload_sha256" not in columns  # the refused upgrade left the file as it was
