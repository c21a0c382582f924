"""The finder's table rows and a reviewer's history."""

from __future__ import annotations

from review_ui.finder import TABLE_COLUMNS, history, sample_table
from review_ui.queue import ALL, Filters, ReviewQueue


def test_table_rows_and_history_with_undone_decisions(store):
    ids = store.candidate_ids("mcq")
    store.record(ids[0], "alice", "accept")
    store.record(ids[1], "alice", "reject", reason="duplicate")
    store.record(ids[1], "bob", "accept")
    store.undo_last("alice", ids[1])
    queue = ReviewQueue(store)
    queue.refresh()
    rows = sample_table(queue, Filters(task="mcq", status=ALL), "alice")
    assert sorted(row[0] for row in rows) == sorted(ids)
    by_id = {row[0]: dict(zip(TABLE_COLUMNS, row, strict=True)) for row in rows}
    assert by_id[ids[0]]["status"] == "accepted" and by_id[ids[0]]["decided by"] == "alice"
    assert by_id[ids[1]]["task"] == "mcq" and by_id[ids[1]]["decided by"] == "bob"
    assert [row[:2] + row[3:] for row in history(store, "alice")] == [
        [ids[1], "undo", "yes"],
        [ids[1], "reject", "no"],
        [ids[0], "accept", "yes"],
    ]
    assert history(store, "alice", limit=1)[0][1] == "undo"
