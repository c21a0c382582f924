"""What the leaderboard shows of a release's validity audit (from its results' ``benchmark``).

API:
  release_audit(manifest) -> dict     ``{"override", "blind_floors"}`` of a release's manifest: what
                                      a result's ``benchmark.audit`` holds
  audit_notes(audit) -> list[str]     plain-text lines: the override and its reason, the failed
                                      gates, the blind floors (text-only baselines)
  status_of(status, audit) -> str     a row's status, marked when the release overrode its gates
  audit_shape_problem(audit) -> str | None   what is wrong with the shape these read (None: ok)

``audit`` is ``results["benchmark"]["audit"]`` (``{"override", "blind_floors"}``) as
evaluators.api writes it from the release manifest; older results have none and show nothing.
The leaderboard takes it from the release's own manifest when given the release, and otherwise
refuses results of one release that disagree about it (one of them was edited).
"""

from __future__ import annotations

from typing import Any

OVERRIDDEN = "audit gates overridden"


def release_audit(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "override": manifest.get("audit_override"),
        "blind_floors": (manifest.get("audit") or {}).get("blind_floors"),
    }


def _figure(figure: dict[str, Any] | None) -> str:
    if not figure or figure.get("value") is None:
        return "n/a"
    low, high = figure.get("ci95") or (figure["value"], figure["value"])
    return f"{figure['value']:.2f} [{low:.2f}, {high:.2f}] (n={figure['n']})"


def audit_notes(audit: dict[str, Any] | None) -> list[str]:
    if not audit:
        return []
    notes = []
    override = audit.get("override")
    if override:
        failed = "; ".join(f"{f['gate']}: {f['text']}" for f in override.get("failed", []))
        notes.append(
            f"Release audit gates overridden: {override['reason']}. Failed: {failed}. "
            f"Every row scored on this release is marked '{OVERRIDDEN}'."
        )
    floors = audit.get("blind_floors")
    if floors:
        mcq = floors.get("mcq") or {}
        parts = []
        if mcq.get("accuracy"):
            parts.append(
                f"MCQ Acc {_figure(mcq['accuracy'])} by '{mcq['strategy']}' (chance "
                f"{mcq['chance']:.2f})"
            )
        count = floors.get("vt_res_target_count") or {}
        if count.get("learned"):
            parts.append(
                f"V-T RES target count from the text {_figure(count['learned'])} (majority "
                f"{_figure(count.get('majority'))})"
            )
        if parts:
            notes.append("Blind floors (text only, no image): " + "; ".join(parts) + ".")
    return notes


def status_of(status: str, audit: dict[str, Any] | None) -> str:
    return f"{status}; {OVERRIDDEN}" if audit and audit.get("override") else status


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _figure_problem(figure: Any) -> str | None:
    if figure is None:
        return None
    if not isinstance(figure, dict):
        return "a figure must be an object"
    if figure.get("value") is None:
        return None
    ci95 = figure.get("ci95")
    if not _is_number(figure["value"]) or not _is_number(figure.get("n", 0)):
        return "a figure's value and n must be numbers"
    if ci95 is not None and not (
        isinstance(ci95, list) and len(ci95) == 2 and all(map(_is_number, ci95))
    ):
        return "a figure's ci95 must be two numbers"
    return None


def audit_shape_problem(audit: Any) -> str | None:
    """Why ``audit`` cannot be shown (None when it can): the types ``audit_notes`` reads."""
    if audit is None:
        return None
    if not isinstance(audit, dict):
        return "must be an object or null"
    override = audit.get("override")
    if override is not None:
        failed = override.get("failed", []) if isinstance(override, dict) else None
        if (
            not isinstance(override, dict)
            or not isinstance(override.get("reason"), str)
            or not isinstance(failed, list)
            or not all(
                isinstance(f, dict)
                and isinstance(f.get("gate"), str)
                and isinstance(f.get("text"), str)
                for f in failed
            )
        ):
            return "'override' must be {reason: text, failed: [{gate, text}]}"
    floors = audit.get("blind_floors")
    if floors is None:
        return None
    if not isinstance(floors, dict):
        return "'blind_floors' must be an object"
    mcq = floors.get("mcq") or {}
    count = floors.get("vt_res_target_count") or {}
    if not isinstance(mcq, dict) or not isinstance(count, dict):
        return "'blind_floors' entries must be objects"
    if mcq.get("accuracy") and not (
        isinstance(mcq.get("strategy"), str) and _is_number(mcq.get("chance"))
    ):
        return "'blind_floors.mcq' needs a strategy (text) and a chance (number)"
    figures = [mcq.get("accuracy"), count.get("learned"), count.get("majority")]
    return next((p for p in map(_figure_problem, figures) if p), None)
