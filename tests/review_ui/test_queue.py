from __future__ import annotations

from review_ui.queue import ALL, TO_REVIEW, Filters, ReviewQueue


def test_order_groups_tasks_and_filters(store):
    queue = ReviewQueue(store)
    ids = queue.ordered(Filters(status=ALL), "alice")
    assert len(ids) == store.count() == 9
    assert [i.split("-")[0] for i in ids] == ["description"] * 3 + ["mcq"] * 3 + ["vt_res"] * 3
    assert queue.ordered(Filters(task="mcq"), "alice") == [i for i in ids if i.startswith("mcq")]
    category = queue.category(ids[0])
    by_category = queue.ordered(Filters(category=category, status=ALL), "alice")
    assert ids[0] in by_category and all(queue.category(i) == category for i in by_category)


def test_to_review_skips_own_decisions_and_puts_skips_last(store):
    queue = ReviewQueue(store)
    first, second, third = queue.ordered(Filters(), "alice")[:3]
    store.record(first, "alice", "accept")
    store.record(second, "alice", "skip")
    queue.refresh()
    mine = queue.ordered(Filters(), "alice")
    assert first not in mine
    assert mine[0] == third and mine[-1] == second
    assert queue.next_id(Filters(), "alice") == third
    # another reviewer's queue: the accepted sample is settled (rule: 1 accept)
    assert first not in queue.ordered(Filters(), "bob")
    assert queue.ordered(Filters(), "bob")[0] == second


def test_place_is_kept_across_reload(store):
    queue = ReviewQueue(store)
    ids = queue.ordered(Filters(), "alice")
    for sample_id in ids[:4]:
        store.record(sample_id, "alice", "accept")
    assert ReviewQueue(store).next_id(Filters(), "alice") == ids[4]


def test_k_of_n_and_conflict_queue(store):
    store.set_info(required_accepts=2)
    queue = ReviewQueue(store)
    first, second = queue.ordered(Filters(), "alice")[:2]
    store.record(first, "alice", "accept")
    store.record(second, "alice", "accept")
    store.record(second, "bob", "reject", reason="answer wrong")
    queue.refresh()
    assert queue.state(first).status == "in_review"
    assert first in queue.ordered(Filters(), "bob")  # still needs a second accept
    assert first not in queue.ordered(Filters(), "alice")
    assert queue.ordered(Filters(status="conflict"), "carol") == [second]
    assert queue.ordered(Filters(status=ALL, reviewer="bob"), "carol") == [second]
    store.record(first, "bob", "accept")
    queue.refresh()
    assert queue.state(first).status == "accepted"
    assert queue.task_progress()["description"] == {"accepted": 1, "conflict": 1, "pending": 1}
    assert queue.reviewer_progress() == {"alice": {"accept": 2}, "bob": {"reject": 1, "accept": 1}}


def test_next_after_in_browse_mode_wraps(store):
    queue = ReviewQueue(store)
    ids = queue.ordered(Filters(status=ALL), "alice")
    assert queue.next_id(Filters(status=ALL), "alice", after=ids[3]) == ids[4]
    assert queue.next_id(Filters(status=ALL), "alice", after=ids[-1]) == ids[0]
    assert queue.next_id(Filters(status="accepted"), "alice") is None
    assert TO_REVIEW == Filters().status


def test_refresh_follows_new_decisions_and_a_changed_rule(store):
    queue = ReviewQueue(store)
    sample_id = queue.ordered(Filters(), "alice")[0]
    store.record(sample_id, "alice", "accept")
    queue.refresh()
    assert queue.state(sample_id).status == "accepted"
    store.set_info(required_accepts=2)
    queue.refresh()
    assert queue.state(sample_id).status == "in_review"
    store.undo_last("alice")
    queue.refresh()
    assert queue.state(sample_id).status == "pending"
