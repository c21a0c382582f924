"""Release gates: thresholds on the audit's figures, each with a verdict.

API:
  GateConfig                    thresholds (defaults below); a frozen dataclass
  evaluate_gates(report, config=GateConfig(), allow_unreviewed=False) -> list[dict]
      each {"gate", "status": pass | fail | uncertain | skipped, "value", "threshold", "text"}
  failed(gates) -> list[dict]   the gates whose status is ``fail``

Gates (a task the audited set lacks is ``skipped``):
  mcq_blind            best blind MCQ accuracy <= chance + ``blind_margin``. Fails when the
                       figure is above; ``uncertain`` (not a refusal) when it is at or below but
                       its 95% interval reaches above, or when fewer than ``min_items`` items
                       were measured: a small set cannot show it is clean.
  vtres_vacuous        share of vacuous V-T RES texts <= ``max_vacuous``
  mcq_repeats          share of repeated MCQ items <= ``max_repeats``
  identical_descriptions   descriptions sharing a reference within one image <= ``max_identical``
  unreviewed           samples no person accepted <= 0, unless ``allow_unreviewed``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evaluators.audit.stats import share_text


@dataclass(frozen=True)
class GateConfig:
    blind_margin: float = 0.10
    min_items: int = 30
    max_vacuous: float = 0.10
    max_repeats: float = 0.05
    max_identical: int = 0


def _gate(name: str, status: str, value: Any, threshold: Any, text: str) -> dict[str, Any]:
    return {"gate": name, "status": status, "value": value, "threshold": threshold, "text": text}


def _blind(report: dict[str, Any], config: GateConfig) -> dict[str, Any]:
    best = report["mcq"]["blind"]["best"]
    figure, chance = best["accuracy"], best["chance"]
    if figure is None or figure["value"] is None or chance is None:
        return _gate("mcq_blind", "skipped", None, None, "no MCQ items")
    limit = chance + config.blind_margin
    text = (
        f"best blind MCQ accuracy {share_text(figure)} by '{best['strategy']}'; chance "
        f"{chance:.2f}, limit {limit:.2f}"
    )
    if figure["value"] > limit:
        status = "fail"
    elif figure["n"] < config.min_items or figure["ci95"][1] > limit:
        status = "uncertain"
        text += f" (uncertain: n={figure['n']}, interval reaches above the limit)"
    else:
        status = "pass"
    return _gate("mcq_blind", status, figure["value"], limit, text)


def _share_gate(name: str, figure: dict[str, Any] | None, limit: float, what: str) -> dict:
    if figure is None or figure["value"] is None:
        return _gate(name, "skipped", None, limit, f"no {what} measured")
    status = "fail" if figure["value"] > limit else "pass"
    return _gate(
        name, status, figure["value"], limit, f"{what} {share_text(figure)}, limit {limit:.2f}"
    )


def evaluate_gates(
    report: dict[str, Any], config: GateConfig | None = None, allow_unreviewed: bool = False
) -> list[dict[str, Any]]:
    config = config or GateConfig()
    gates = [_blind(report, config)]
    vtres = report["vt_res"]
    gates.append(
        _share_gate(
            "vtres_vacuous",
            vtres["vacuous"]["overall"],
            config.max_vacuous,
            "vacuous V-T RES texts",
        )
    )
    gates.append(
        _share_gate(
            "mcq_repeats",
            report["mcq"]["repeats"]["overall"],
            config.max_repeats,
            "repeated MCQ items",
        )
    )
    identical = report["description"]["identical"]
    count = identical["samples"]["k"]
    if not report["description"]["samples"]:
        gates.append(_gate("identical_descriptions", "skipped", None, 0, "no descriptions"))
    else:
        gates.append(
            _gate(
                "identical_descriptions",
                "fail" if count > config.max_identical else "pass",
                count,
                config.max_identical,
                f"{count} descriptions share a reference with another of their image "
                f"({identical['pairs']} pairs), limit {config.max_identical}",
            )
        )
    unreviewed = report["review"]["unreviewed"]
    if allow_unreviewed:
        status = "skipped"
        text = f"{unreviewed} samples no person accepted (allowed by --allow-unreviewed)"
    else:
        status = "fail" if unreviewed else "pass"
        text = f"{unreviewed} of {report['review']['samples']} samples no person accepted"
    gates.append(_gate("unreviewed", status, unreviewed, 0, text))
    return gates


def failed(gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [g for g in gates if g["status"] == "fail"]
