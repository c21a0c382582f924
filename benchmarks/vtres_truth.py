"""V-T RES texts against the DRAWN truth scenes, for builders of two checkouts (before / after).

The truth scenes (tests/builders/scenes.py: ~35% of drawn objects unannotated, objects cut in
two by a pole, dark and over-exposed objects) are built twice per checkout, each in a fresh
process with that checkout's ``builders`` and ``perbench`` first on the path:
  coco-like  the reader lists nothing and declares nothing, as a COCO-format file
  declared   the reader lists per image the categories with unannotated objects and the build
             declares the source exhaustive (``exhaustive_sources``), as for LVIS
Each V-T RES text is resolved on the drawn scene (tests/builders/resolver.py); a text is false
when the reference resolver's objects are not its targets, and shortcut-found when a shortcut
resolver (category alone, category minus prompts, nearest instance) finds them.

  python benchmarks/vtres_truth.py --tree before=PATH [--scenes 120] [--label after]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SHORTCUT_NAMES = ("category alone", "category minus prompts", "nearest instance")
SHORTS = "category / category minus prompts / nearest"


def _share(k: int, n: int) -> str:
    return f"{k} ({k / n:.0%})" if n else "0"


def child(mode: str, scenes: int) -> None:
    import numpy as np

    from builders.build import build_store
    from builders.config import BUILDER_VERSION
    from perbench.store import CandidateStore
    from tests.builders.resolver import SHORTCUTS, drawn_targets, resolve
    from tests.builders.scenes import TruthReader, make_scene

    rng = np.random.default_rng(7)
    drawn = [make_scene(rng, f"scene{i:03d}") for i in range(scenes)]
    reader = TruthReader(drawn, lists_incomplete=mode == "declared")
    config = {"exhaustive_sources": {"truth": True}} if mode == "declared" else {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.db"
        summary = build_store([reader], path, seed=3, config=config, progress=False)
        owner = {i: s for s in drawn for o in s.objects for i, _ in o.pieces}
        false, hits, total = 0, Counter(), 0
        for sample in CandidateStore(path).candidates(task="vt_res"):
            scene = owner[sample.source["prompt_instance_ids"][0]]
            targets = drawn_targets(sample, scene)
            total += 1
            false += targets is None or resolve(sample, scene) != targets
            for name, shortcut in SHORTCUTS.items():
                hits[name] += shortcut(sample, scene) == targets
    print(
        json.dumps(
            {
                "builders": BUILDER_VERSION,
                "mode": mode,
                "tasks": summary["tasks"],
                "vt_res": total,
                "false": false,
                "shortcut": dict(hits),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH")
    parser.add_argument("--label", default="after")
    parser.add_argument("--scenes", type=int, default=120)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.scenes)
        return
    trees = [tuple(entry.split("=", 1)) for entry in args.tree] + [(args.label, str(HERE))]
    print(
        "| builders | reader | V-T RES | false on the drawn scene | shortcut-found: "
        + SHORTS
        + " |"
    )
    print("|---|---|---|---|---|")
    for label, tree in trees:
        for mode in ("coco-like", "declared"):
            output = subprocess.run(
                [sys.executable, __file__, "--child", mode, "--scenes", str(args.scenes)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{HERE}"},
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            n, hits = row["vt_res"], row["shortcut"]
            shortcuts = " / ".join(_share(hits.get(name, 0), n) for name in SHORTCUT_NAMES)
            false = _share(row["false"], n)
            print(f"| {label} ({row['builders']}) | {mode} | {n} | {false} | {shortcuts} |")


if __name__ == "__main__":
    main()
