"""B5: a server stopped with SIGTERM leaves every decision in STORE.sqlite itself, and
``--export-store`` makes a safe single-file copy while decisions still sit in the WAL."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time

from perbench.cli import main
from perbench.store import CandidateStore
from perbench.store_copy import Checkpoints
from tests.review_ui.conftest import start_review_server

DECISIONS = 80


def _decide(store: CandidateStore) -> None:
    """80 decisions, committed by this process, whose connection stays open (so its own close
    cannot checkpoint them into the main file)."""
    ids = store.candidate_ids()
    for index in range(DECISIONS):
        store.record(ids[index % len(ids)], f"reviewer-{index // len(ids)}", "accept")


def _decisions_in(path) -> int:
    """Decisions in the file alone (0 when even the table is still only in a WAL)."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT count(*) FROM decisions").fetchone()[0]
    except sqlite3.OperationalError as exc:
        assert "no such table" in str(exc)
        return 0
    finally:
        connection.close()


def test_sigterm_checkpoints_so_a_copy_of_the_main_file_has_every_decision(
    make_store, tmp_path, free_port
):
    path = tmp_path / "candidates.sqlite"
    store = make_store(path, per_task=5, photos=("voc", "arc2017"))
    process = start_review_server(path, free_port)
    try:
        _decide(store)
        assert os.path.getsize(f"{path}-wal") > 0  # the decisions sit in the WAL
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) is not None
    finally:
        if process.poll() is None:
            process.kill()
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(path, copy)  # only STORE.sqlite, as the README used to invite
    assert _decisions_in(copy) == DECISIONS
    assert CandidateStore(copy).verify_log().ok


def test_export_store_copies_every_decision_into_one_file(make_store, tmp_path, capsys):
    path = tmp_path / "candidates.sqlite"
    store = make_store(path, per_task=5, photos=("voc", "arc2017"))
    _decide(store)
    main_file_only = tmp_path / "main-only.sqlite"
    shutil.copyfile(path, main_file_only)
    assert _decisions_in(main_file_only) < DECISIONS  # what an unsafe copy loses
    out = tmp_path / "backup" / "copy.sqlite"
    out.parent.mkdir()
    assert main(["review", str(path), "--export-store", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    assert sorted(p.name for p in out.parent.iterdir()) == ["copy.sqlite"]  # no -wal beside it
    assert _decisions_in(out) == DECISIONS
    assert CandidateStore(out).verify_log().ok
    assert main(["review", str(path), "--export-store", str(out)]) == 2
    assert "the export target exists" in capsys.readouterr().err


def test_the_timer_checkpoints_while_the_server_runs(make_store, tmp_path):
    path = tmp_path / "candidates.sqlite"
    store = make_store(path, per_task=5, photos=("voc", "arc2017"))
    _decide(store)
    copy = tmp_path / "main-file.sqlite"

    def in_main_file() -> int:  # opening the live path would read its WAL too: copy it alone
        copy.unlink(missing_ok=True)
        shutil.copyfile(path, copy)
        return _decisions_in(copy)

    assert in_main_file() < DECISIONS
    checkpoints = Checkpoints(store, every_s=0.05)
    checkpoints.thread.start()
    try:
        deadline = time.monotonic() + 120
        while in_main_file() < DECISIONS and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpoints.stop()
    assert in_main_file() == DECISIONS
