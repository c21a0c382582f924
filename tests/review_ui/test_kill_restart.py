"""SIGKILL the app process while two reviewers work; a restart loses no committed decision."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from gradio_client import Client

from perbench.store import CandidateStore
from tests.review_ui.conftest import start_review_server

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
SAMPLE = 1


def _work(url: str, name: str, acknowledged: list, stop: threading.Event) -> None:
    """Decide samples until the server dies; keep every decision the server acknowledged."""
    try:
        client = Client(url, auth=(name, USERS[name]), verbose=False)
        sample_id = client.predict(api_name="/show")[SAMPLE]
        while sample_id and not stop.is_set():
            if len(acknowledged) % 3 == 2:
                page = client.predict(sample_id, [], "duplicate", "", api_name="/reject")
                decision = "reject"
            else:
                page = client.predict(sample_id, api_name="/accept")
                decision = "accept"
            acknowledged.append((name, decision, sample_id))
            sample_id = page[SAMPLE]
    except Exception:  # the server was killed under this client: expected
        return


@pytest.mark.slow
def test_kill_and_restart_loses_no_committed_decision(make_store, tmp_path, free_port):
    store_path = tmp_path / "candidates.sqlite"
    make_store(store_path, per_task=5, photos=("voc", "arc2017")).set_info(required_accepts=2)
    users_file = tmp_path / "users.txt"
    users_file.write_text("".join(f"{name}:{password}\n" for name, password in USERS.items()))
    process = start_review_server(store_path, free_port, "--users", str(users_file))
    url = f"http://127.0.0.1:{free_port}/"
    acknowledged: list[tuple[str, str, str]] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_work, args=(url, n, acknowledged, stop)) for n in USERS]
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 120
        while len(acknowledged) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # mid-work: requests are in flight
        process.wait(timeout=300)
    finally:
        stop.set()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for worker in workers:
            worker.join(timeout=600)
    assert len(acknowledged) >= 12, "the reviewers made too few decisions before the kill"

    store = CandidateStore(store_path)
    assert store.integrity_check() == "ok"
    logged = [(d.reviewer, d.decision, d.sample_id) for d in store.decisions()]
    assert all(entry in logged for entry in acknowledged)
    assert len(logged) <= len(acknowledged) + len(USERS)  # at most one in flight per reviewer

    process = start_review_server(store_path, free_port, "--users", str(users_file))
    try:
        alice = Client(url, auth=("alice", USERS["alice"]), verbose=False)
        sample_id = alice.predict(api_name="/show")[SAMPLE]
        decided = {s for r, _, s in logged if r == "alice"}
        assert sample_id not in decided  # alice's place: her first undecided sample
        alice.predict(sample_id, api_name="/accept")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=300)
    after = [(d.reviewer, d.decision, d.sample_id) for d in CandidateStore(store_path).decisions()]
    assert after == logged + [("alice", "accept", sample_id)]
