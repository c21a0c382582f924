"""Short forms of an audit report: the manifest's ``audit`` object, the card section, the
printed lines.

API:
  manifest_summary(report) -> dict   {"blind_floors", "vt_res", "mcq_repeats", "needs",
                                      "identical_descriptions", "review", "gates"}
  summary_lines(report) -> list[str] what ``perbench audit`` prints
  card_markdown(report) -> str       the "Validity audit" section of a dataset card

``blind_floors`` is what the leaderboard shows beside the models: the best text-only MCQ
accuracy (overall and per family) with chance, and the V-T RES target-count guess rate.
"""

from __future__ import annotations

from typing import Any

from evaluators.audit.reasons import rates_lines
from evaluators.audit.stats import share_text


def _compact(figure: dict[str, Any] | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    return {k: figure.get(k) for k in ("value", "n", "ci95")}


def manifest_summary(report: dict[str, Any]) -> dict[str, Any]:
    blind = report["mcq"]["blind"]
    vtres, description, review = report["vt_res"], report["description"], report["review"]
    return {
        "blind_floors": {
            "mcq": {
                "strategy": blind["best"]["strategy"],
                "accuracy": _compact(blind["best"]["accuracy"]),
                "chance": blind["chance"],
                "by_family": {
                    family: {
                        "strategy": best["strategy"],
                        "accuracy": _compact(best["accuracy"]),
                        "chance": best["chance"],
                    }
                    for family, best in blind["best_by_family"].items()
                },
            },
            "vt_res_target_count": {
                "learned": _compact(vtres["target_count"]["learned"]),
                "majority": _compact(vtres["target_count"]["majority"]),
            },
        },
        "vt_res": {
            "vacuous": _compact(vtres["vacuous"]["overall"]),
            "redundant": _compact((vtres.get("redundant") or {}).get("overall")),
            "ambiguity_flagged": _compact(vtres["ambiguity"]["flagged"]),
            "without_instances": vtres["without_instances"],
        },
        "mcq_repeats": _compact(report["mcq"]["repeats"]["overall"]),
        "needs": _compact((report.get("needs") or {}).get("overall")),
        "identical_descriptions": description["identical"]["samples"]["k"],
        "review": {
            "accepted_by_person": _compact(review["accepted_by_person"]),
            "unreviewed": review["unreviewed"],
            "kappa": (review["agreement"] or {}).get("kappa"),
        },
        "gates": {g["gate"]: g["status"] for g in report["gates"]},
    }


def summary_lines(report: dict[str, Any]) -> list[str]:
    mcq, vtres, description = report["mcq"], report["vt_res"], report["description"]
    best = mcq["blind"]["best"]
    lines = [f"samples: {report['counts']}"]
    if best["accuracy"]:
        lines.append(
            f"MCQ blind (best: {best['strategy']}): {share_text(best['accuracy'])}, chance "
            f"{best['chance']:.2f}"
        )
        for family, row in mcq["blind"]["best_by_family"].items():
            lines.append(
                f"  {family}: {share_text(row['accuracy'])} by {row['strategy']}, chance "
                f"{row['chance']:.2f}"
            )
        lines.append(f"MCQ repeated items: {share_text(mcq['repeats']['overall'])}")
        letters = mcq["letter_balance"]["max_share"]
        lines.append(f"MCQ most common answer letter: {share_text(letters)}")
    needs = report.get("needs")
    if needs and needs["overall"]["n"]:
        lines.append(f"items carrying reviewer checks (needs): {share_text(needs['overall'])}")
        lines += [f"  {k}: {share_text(v)}" for k, v in needs["by_family"].items() if v["k"]]
    if vtres["samples"]:
        lines.append(f"V-T RES vacuous: {share_text(vtres['vacuous']['overall'])}")
        redundant = vtres.get("redundant")
        if redundant:
            lines.append(f"V-T RES relation-redundant: {share_text(redundant['overall'])}")
            lines += [f"  {k}: {share_text(v)}" for k, v in redundant["by_relation"].items()]
        count = vtres["target_count"]
        lines.append(
            f"V-T RES target count from text: {share_text(count['learned'])} vs majority "
            f"{share_text(count['majority'])}"
        )
        flagged = vtres["ambiguity"]["flagged"]
        lines.append(f"V-T RES ambiguity re-check flagged: {share_text(flagged)}")
    if description["samples"]:
        lines.append(
            f"descriptions sharing a reference in one image: "
            f"{share_text(description['identical']['samples'])}; near-identical "
            f"{share_text(description['near_identical']['samples'])}"
        )
        lookfree = description.get("lookfree_meteor") or {}
        if lookfree.get("value") is not None:
            lines.append(f"look-free METEOR ({lookfree['metric']}): {share_text(lookfree)}")
    review = report["review"]
    lines.append(
        f"accepted by a person: {share_text(review['accepted_by_person'])}; "
        f"no person accepted: {review['unreviewed']}"
    )
    if review.get("rates"):
        lines += rates_lines(review["rates"])
    for gate in report["gates"]:
        lines.append(f"gate {gate['gate']}: {gate['status'].upper()} - {gate['text']}")
    return lines


def card_markdown(report: dict[str, Any]) -> str:
    lines = [
        "## Validity audit",
        "",
        "Measured by `perbench audit` when the release was written (figure [95% interval] (n)).",
        "",
    ]
    lines += [f"- {line}" for line in summary_lines(report)]
    return "\n".join(lines) + "\n"
