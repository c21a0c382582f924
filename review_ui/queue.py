"""The review queue: which sample each reviewer sees next, and progress counts.

API:
  ALL, TO_REVIEW, STATUS_FILTERS      filter values
  Filters(task, status, category, reviewer)
  ReviewQueue(store)
    .refresh()                          read the log's new entries (and the index if it grew)
    .ordered(filters, reviewer)         sample ids matching the filters, in review order
    .next_id(filters, reviewer, after=None) -> str | None
    .state(sample_id) -> SampleState
    .categories() / .reviewers() / .task(sample_id) / .category(sample_id) / .ids_of_image(id)
    .decided_count(reviewer)
    .task_progress()     -> {task: {status: count}}
    .reviewer_progress() -> {reviewer: {decision: count}}

``TO_REVIEW`` is a reviewer's own work list: unsettled samples (pending, or accepted by fewer
reviewers than the build's rule needs) that this reviewer has not decided; samples the reviewer
skipped come last. Everything is derived from the store's log, so a reviewer's place survives
reloads and restarts. Order: task, image, id (samples of one image stay together).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from perbench.review_log import STATUSES, Decision, SampleState, derive_state
from perbench.schema import TASKS
from perbench.store import CandidateStore

ALL = "all"
TO_REVIEW = "to review"
STATUS_FILTERS = (TO_REVIEW, *STATUSES, ALL)
VERDICTS = ("accept", "edit_accept", "reject")


@dataclass(frozen=True)
class Filters:
    task: str = ALL
    status: str = TO_REVIEW
    category: str = ALL
    reviewer: str = ALL


@dataclass(frozen=True)
class _Entry:
    id: str
    task: str
    image_id: str
    category: str


class ReviewQueue:
    """Filters and review order over a candidate store, refreshed from its log on demand."""

    def __init__(self, store: CandidateStore):
        self.store = store
        self._entries: list[_Entry] = []
        self._log: list[Decision] = []  # the store's log so far (it is append-only)
        self._by_id: dict[str, _Entry] = {}
        self._states: dict[str, SampleState] = {}
        self._skips: dict[str, dict[str, int]] = {}
        self._decided: dict[str, set[str]] = {}
        self._decision_counts: dict[str, Counter] = {}
        self._derived: dict[str, tuple[int, SampleState]] = {}  # id -> (last seq, state)
        self._required = 0
        self.refresh()

    def refresh(self) -> None:
        if self.store.count() != len(self._entries):
            self._rebuild_index()
        self._log.extend(self.store.decisions_since(self._log[-1].seq if self._log else 0))
        log = self._log
        undone = {d.undoes for d in log if d.decision == "undo"}
        by_sample: dict[str, list[Decision]] = defaultdict(list)
        skips: dict[str, dict[str, int]] = defaultdict(dict)
        decided: dict[str, set[str]] = defaultdict(set)
        counts: dict[str, Counter] = defaultdict(Counter)
        for entry in log:
            by_sample[entry.sample_id].append(entry)
            if entry.decision == "undo" or entry.seq in undone:
                continue
            counts[entry.reviewer][entry.decision] += 1
            if entry.decision == "skip":
                skips[entry.reviewer][entry.sample_id] = entry.seq
            elif entry.decision in VERDICTS:
                decided[entry.reviewer].add(entry.sample_id)
                skips[entry.reviewer].pop(entry.sample_id, None)
        required = self.store.required_accepts
        if required != self._required:
            self._derived, self._required = {}, required
        states = {}
        for entry in self._entries:
            sample_log = by_sample.get(entry.id, [])
            last_seq = sample_log[-1].seq if sample_log else 0  # the log is append-only
            cached = self._derived.get(entry.id)
            if cached is None or cached[0] != last_seq:
                cached = (last_seq, derive_state(entry.id, sample_log, required))
                self._derived[entry.id] = cached
            states[entry.id] = cached[1]
        self._states = states
        self._skips, self._decided, self._decision_counts = dict(skips), dict(decided), dict(counts)

    def _rebuild_index(self) -> None:
        entries = [
            _Entry(s.id, s.task, s.image_id, str(s.meta.get("category") or "unknown"))
            for s in self.store.candidates()
        ]
        task_rank = {task: rank for rank, task in enumerate(TASKS)}
        self._entries = sorted(
            entries, key=lambda e: (task_rank.get(e.task, len(TASKS)), e.image_id, e.id)
        )
        self._by_id = {e.id: e for e in self._entries}

    def state(self, sample_id: str) -> SampleState:
        if sample_id not in self._states:
            self.refresh()
        return self._states.get(sample_id) or self.store.state(sample_id)

    def categories(self) -> list[str]:
        return sorted({e.category for e in self._entries})

    def reviewers(self) -> list[str]:
        return sorted(self._decision_counts)

    def task(self, sample_id: str) -> str:
        entry = self._by_id.get(sample_id)
        return entry.task if entry else "unknown"

    def category(self, sample_id: str) -> str:
        entry = self._by_id.get(sample_id)
        return entry.category if entry else "unknown"

    def _matches(self, entry: _Entry, filters: Filters, reviewer: str) -> bool:
        if filters.task != ALL and entry.task != filters.task:
            return False
        if filters.category != ALL and entry.category != filters.category:
            return False
        if filters.reviewer != ALL and entry.id not in self._decided.get(filters.reviewer, set()):
            return False
        status = self._states[entry.id].status
        if filters.status == TO_REVIEW:
            return status in ("pending", "in_review") and entry.id not in self._decided.get(
                reviewer, set()
            )
        return filters.status in (ALL, status)

    def ordered(self, filters: Filters, reviewer: str) -> list[str]:
        """Matching sample ids; in ``TO_REVIEW`` the reviewer's skipped samples go last."""
        ids = [e.id for e in self._entries if self._matches(e, filters, reviewer)]
        if filters.status != TO_REVIEW:
            return ids
        skipped = self._skips.get(reviewer, {})
        return sorted(ids, key=lambda sid: skipped.get(sid, -1))

    def next_id(self, filters: Filters, reviewer: str, after: str | None = None) -> str | None:
        """The reviewer's next sample: the head of ``TO_REVIEW``, else the one after ``after``."""
        ids = self.ordered(filters, reviewer)
        if not ids:
            return None
        if filters.status == TO_REVIEW or after is None:
            return ids[0]
        order = {e.id: rank for rank, e in enumerate(self._entries)}
        position = order.get(after, -1)
        return next((sid for sid in ids if order[sid] > position), ids[0])

    def task_progress(self) -> dict[str, dict[str, int]]:
        progress: dict[str, Counter] = {}
        for entry in self._entries:
            progress.setdefault(entry.task, Counter())[self._states[entry.id].status] += 1
        return {task: dict(counts) for task, counts in progress.items()}

    def reviewer_progress(self) -> dict[str, dict[str, int]]:
        return {name: dict(counts) for name, counts in sorted(self._decision_counts.items())}

    def decided_count(self, reviewer: str) -> int:
        """Samples on which ``reviewer`` has a live accept, edit_accept or reject."""
        return len(self._decided.get(reviewer, ()))

    def ids_of_image(self, image_id: str) -> list[str]:
        return [e.id for e in self._entries if e.image_id == image_id]

    def total(self) -> int:
        return len(self._entries)
