"""The decision log half of the candidate store: append decisions, read them, derive states.

API (mixed into perbench.store.CandidateStore, which supplies ``_conn``, ``_write``,
``_content``, ``candidate``, ``candidate_ids``, ``required_accepts`` and ``path``):
  .record(sample_id, reviewer, decision, after=None, reasons=None, reason=None, note=None,
          version=None)
  .undo_last(reviewer, sample_id=None)    append an undo of the reviewer's last live decision
  .decisions(sample_id=None) / .decisions_since(seq)   the append-only log, oldest first
  .state(sample_id) / .states(task)       status derived from the log (perbench.review_log)
  .verify_log() -> LogCheck               the hash chain, then each decision's content hashes

Each appended row records the version the reviewer saw, the sha256 of the stored payload and
image (perbench.store_content), and its structured reasons as JSON (perbench.needs).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from perbench import __version__, log_chain, store_content
from perbench.errors import SchemaError, StoreError
from perbench.needs import encode_reasons, validate_reasons
from perbench.review_log import DECISIONS, Decision, SampleState, derive_state, payload_version
from perbench.schema import validate_sample

EDITABLE_FIELDS = ("question", "references", "options", "answer", "targets", "prompts")

_DECISION_COLUMNS = (
    "seq, sample_id, reviewer, decision, reason, note, before, after, undoes, created_at, "
    "app_version, version, payload_sha256, image_sha256"
)


def now_utc() -> str:
    """A log timestamp: ISO 8601, UTC, microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class DecisionLog:
    """Decision-log methods of CandidateStore (see the module docstring)."""

    def record(
        self,
        sample_id: str,
        reviewer: str,
        decision: str,
        *,
        after: dict[str, Any] | None = None,
        reasons: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        note: str | None = None,
        app_version: str = __version__,
        version: str | None = None,
    ) -> Decision:
        """Append one decision. ``after`` holds edited fields (edit_accept / resolve_*).

        ``reasons``: structured reasons (validated by perbench.needs), stored as JSON;
        ``reason``: reasons already encoded (``perbench.needs.encode_reasons``), or the older
        plain text, read back as ``other`` with the text as its note. ``version``: the hash of
        the sample the reviewer saw (the review app passes it); None means the draft with
        ``after`` applied.
        """
        recordable = tuple(d for d in DECISIONS if d != "undo")  # undo goes through undo_last
        if decision not in recordable:
            raise StoreError(f"unknown decision {decision!r}; use one of {recordable}")
        if not reviewer:
            raise StoreError("a decision needs a reviewer name")
        if reason is not None and reasons is not None:
            raise StoreError("pass reasons (structured) or reason (plain text), not both")
        if reasons is not None:
            validate_reasons(reasons, where=f"{self.path}: sample {sample_id}")
            encoded = encode_reasons(reasons)
        elif reason and reason.startswith("["):
            encoded = _reason_column(reason)
        else:
            encoded = reason or None
        before = None
        if after:
            bad = sorted(set(after) - set(EDITABLE_FIELDS))
            if bad:
                raise StoreError(f"fields {bad} cannot be edited; editable: {EDITABLE_FIELDS}")
            original = self.candidate(sample_id, with_image=False)
            edited = validate_sample(original.copy_with(**after))
            before = {k: getattr(original, k) for k in after}
            after = {k: getattr(edited, k) for k in after}
            if version is None:
                version = payload_version(edited.to_dict())
        elif version is None:
            version = payload_version(self.candidate(sample_id, with_image=False).to_dict())
        with self._write() as conn:
            if (
                conn.execute("SELECT 1 FROM candidates WHERE id = ?", (sample_id,)).fetchone()
                is None
            ):
                raise StoreError(f"no candidate with id {sample_id!r}", where=str(self.path))
            return self._append(
                conn, sample_id, reviewer, decision, encoded, note, before, after, None,
                app_version, version,
            )  # fmt: skip

    def undo_last(
        self, reviewer: str, sample_id: str | None = None, app_version: str = __version__
    ) -> Decision | None:
        """Cancel the reviewer's latest live decision (on ``sample_id`` if given); None if none."""
        with self._write() as conn:
            query = (
                f"SELECT {_DECISION_COLUMNS} FROM decisions d "
                "WHERE reviewer = ? AND decision != 'undo' "
                "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.seq)"
            )
            params: list[Any] = [reviewer]
            if sample_id is not None:
                query += " AND sample_id = ?"
                params.append(sample_id)
            row = conn.execute(query + " ORDER BY seq DESC LIMIT 1", params).fetchone()
            if row is None:
                return None
            target = decision_from_row(row)
            self._append(
                conn,
                target.sample_id,
                reviewer,
                "undo",
                None,
                None,
                None,
                None,
                target.seq,
                app_version,
                target.version,
            )
            return target

    def _append(
        self, conn, sample_id, reviewer, decision, reason, note, before, after, undoes, app_version,
        version,
    ) -> Decision:  # fmt: skip
        created = now_utc()
        payload_sha256, image_sha256 = self._content.of(conn, sample_id)
        cursor = conn.execute(
            "INSERT INTO decisions(sample_id, reviewer, decision, reason, note, before, after, "
            "undoes, created_at, app_version, version, payload_sha256, image_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sample_id,
                reviewer,
                decision,
                reason,
                note,
                json.dumps(before) if before is not None else None,
                json.dumps(after) if after is not None else None,
                undoes,
                created,
                app_version,
                version,
                payload_sha256,
                image_sha256,
            ),
        )
        log_chain.append(conn, cursor.lastrowid)
        return Decision(
            cursor.lastrowid,
            sample_id,
            reviewer,
            decision,
            reason,
            note,
            before,
            after,
            undoes,
            created,
            app_version,
            version,
            payload_sha256,
            image_sha256,
        )

    def decisions(self, sample_id: str | None = None) -> list[Decision]:
        if sample_id is None:
            query = f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY seq"
            rows = self._conn().execute(query).fetchall()
        else:
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE sample_id = ? ORDER BY seq",
                    (sample_id,),
                )
                .fetchall()
            )
        return [decision_from_row(r) for r in rows]

    def decisions_since(self, seq: int) -> list[Decision]:
        """Log entries with ``seq`` greater than the given one (for incremental refreshes)."""
        rows = (
            self._conn()
            .execute(
                f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE seq > ? ORDER BY seq", (seq,)
            )
            .fetchall()
        )
        return [decision_from_row(r) for r in rows]

    def state(self, sample_id: str) -> SampleState:
        return derive_state(sample_id, self.decisions(sample_id), self.required_accepts)

    def states(self, task: str | None = None) -> dict[str, SampleState]:
        """Every candidate's state (one pass over the log)."""
        by_sample: dict[str, list[Decision]] = {sid: [] for sid in self.candidate_ids(task)}
        for entry in self.decisions():
            if entry.sample_id in by_sample:
                by_sample[entry.sample_id].append(entry)
        k = self.required_accepts
        return {sid: derive_state(sid, log, k) for sid, log in by_sample.items()}

    def verify_log(self) -> log_chain.LogCheck:
        """Recompute the decision log's hash chain (``perbench.log_chain``), then check that
        every decision's payload and image hashes match the stored content."""
        check = log_chain.verify(self._conn())
        if not check.ok:
            return check
        problem = store_content.content_problem(self._conn())
        return (
            check if problem is None else replace(check, broken_seq=problem[0], reason=problem[1])
        )


def _reason_column(text: str) -> str:
    """``text`` that starts like JSON: kept when it is already encoded reasons (the review app
    may pass ``encode_reasons(...)``), otherwise plain text, encoded as ``other`` so that it
    reads back as written."""
    try:
        value = json.loads(text)
        if isinstance(value, list) and value:
            return encode_reasons(validate_reasons(value, where="reason"))
    except (ValueError, SchemaError):
        pass
    return encode_reasons([{"code": "other", "note": text}])


def decision_from_row(row: tuple) -> Decision:
    seq, sample_id, reviewer, decision, reason, note, before, after, undoes, created, app, ver = (
        row[:12]
    )
    return Decision(
        seq,
        sample_id,
        reviewer,
        decision,
        reason,
        note,
        json.loads(before) if before else None,
        json.loads(after) if after else None,
        undoes,
        created,
        app,
        ver,
        *row[12:],
    )
