"""Finding samples: the table of samples under a reviewer's filters, and their own history.

API:
  TABLE_COLUMNS, HISTORY_COLUMNS
  sample_table(queue, filters, reviewer, limit=2000) -> list[row]
      rows (id, task, status, category, decided by, conflict) of the samples the filters match
  history(store, reviewer, limit=20) -> list[row]
      the reviewer's latest decisions, newest first: (id, decision, when, live)

The app shows both as sortable, searchable tables; a click on a row (or the jump-to-id box)
reopens that sample.
"""

from __future__ import annotations

from perbench.store import CandidateStore
from review_ui.queue import Filters, ReviewQueue

TABLE_COLUMNS = ["id", "task", "status", "category", "decided by", "conflict"]
HISTORY_COLUMNS = ["id", "decision", "when", "live"]


def sample_table(
    queue: ReviewQueue, filters: Filters, reviewer: str, limit: int = 2000
) -> list[list[str]]:
    """One row per sample matching ``filters`` (in review order, at most ``limit``)."""
    rows = []
    for sample_id in queue.ordered(filters, reviewer)[:limit]:
        state = queue.state(sample_id)
        deciders = sorted({*state.accepted_by, *state.rejected_by})
        rows.append(
            [
                sample_id,
                queue.task(sample_id),
                state.status,
                queue.category(sample_id),
                ", ".join(deciders),
                "yes" if state.status == "conflict" else "",
            ]
        )
    return rows


def history(store: CandidateStore, reviewer: str, limit: int = 20) -> list[list[str]]:
    """The reviewer's latest decisions (undos included), newest first."""
    log = store.decisions()
    undone = {d.undoes for d in log if d.decision == "undo"}
    own = [d for d in log if d.reviewer == reviewer][-limit:]
    return [
        [d.sample_id, d.decision, d.created_at[:19], "no" if d.seq in undone else "yes"]
        for d in reversed(own)
    ]
