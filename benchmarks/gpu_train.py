"""GPU check of the reference model: train the 0.5b-shaped Pixel-SAIL from scratch, score it.

On one H100 or H200 (about 10 minutes in all; less with --minutes 2 --compile-modes off):
  python benchmarks/gpu_train.py --release DEMO_RELEASE
Code path check on CPU (tiny model, a few steps, results to a scratch file):
  python benchmarks/gpu_train.py --dry-run --out /tmp/gpu-dry --results /tmp/gpu-dry/RESULTS.md

Before anything runs it prints the memory estimate per GPU (models.memory: weights, AdamW
state, activations with the size's activation checkpointing); the defaults (0.5b, batch 8,
checkpointing on) come to about 31 GiB, well inside one 80 GB GPU. After each run it prints
how many graphs torch.compile made (recompiles included; FlexAttention is compiled for dynamic
shapes and lengths are bucketed, so this stays at a handful).

What it does: SYNTHETIC shape scenes (models.synthetic) plus the release's samples are the
training data. Speed, for each of --compile-modes (torch.compile off / on): --speed-steps bf16
steps, the first two left out as warm-up; median step time, real (unpadded) tokens/s, model
FLOPs utilisation (MFU: 6 x non-embedding parameters + 12 x layers x hidden x mean real
sequence FLOPs per real token, over the GPU's dense bf16 peak) and peak GPU memory. The
uncompiled step time sets the number of steps that fit --minutes; then one bf16 training run
(AdamW, wd 0.05, warmup 5%, cosine, clip 1; the learning rate is raised to --lr because the
weights start random); then predictions for the release and for a held-out SYNTHETIC release,
each scored with ``perbench evaluate``. Printed and appended to --results (default
benchmarks/RESULTS.md), with the device named.
The given release is also training data and the SYNTHETIC release (seed 1) is held out: this
checks that the whole pipeline learns and runs at speed on a GPU; it is not a benchmark result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from models.attention import compiled_graphs
from models.checkpoint import latest_checkpoint, load_checkpoint
from models.config import TrainConfig, make_config
from models.data import load_examples
from models.memory import estimate_training_memory
from models.predict import PixelSAILPredictor, predict_release
from models.synthetic import synthetic_samples
from models.train import train
from perbench.release import Release, write_release

PEAK_BF16_TFLOPS = {"H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "A100": 312.0}
ROOT = Path(__file__).resolve().parent.parent


def peak_tflops(device_name: str) -> float | None:
    for key, value in PEAK_BF16_TFLOPS.items():
        if key in device_name:
            return value
    return None


def flops_per_token(model, sequence: float) -> float:
    """Training FLOPs per real token at mean real sequence length ``sequence``."""
    config = model.config
    embedding = model.lm.get_input_embeddings().weight.numel()
    params = sum(p.numel() for p in model.parameters()) - embedding
    return 6 * params + 12 * config.num_hidden_layers * config.hidden_size * sequence


def measure_speed(examples, out: Path, size: str, args, compiled: bool) -> dict:
    """Median s/step, real tokens/s, mean real tokens per row, peak memory of a short run."""
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    run = out / f"speed-compile-{'on' if compiled else 'off'}"
    settings = TrainConfig(
        steps=1000, batch_size=args.batch_size, lr=args.lr, log_every=1, compile=compiled
    )
    train(examples, run, make_config(size), settings, progress=False, stop_after=args.speed_steps)
    entries = log_entries(run)[2:] or log_entries(run)
    step = statistics.median(e["s_per_step"] for e in entries)
    tokens = statistics.median(e["tokens_per_s"] for e in entries)
    model, _ = load_checkpoint(latest_checkpoint(run))
    sequence = tokens * step / args.batch_size
    achieved = tokens * flops_per_token(model, sequence) / 1e12
    peak = peak_tflops(torch.cuda.get_device_name() if cuda else "")
    return {
        "compiled_graphs": compiled_graphs(),
        "compile": compiled,
        "s_per_step": step,
        "tokens_per_s": tokens,
        "sequence": sequence,
        "tflops": achieved,
        "mfu": f"{100 * achieved / peak:.1f}%" if peak else "n/a (no known peak)",
        "peak_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan"),
    }


def score(release: Path, predictions: Path, name: str, out: Path) -> str:
    """``perbench evaluate``'s printed table (strict protocol, else official), or why not."""
    reasons = []
    for protocol in ("strict", "official"):
        command = [sys.executable, "-m", "perbench.cli", "evaluate", "--release", str(release)]
        command += ["--predictions", str(predictions), "--model", name, "--out", str(out)]
        command += ["--protocol", protocol]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode == 0:
            return done.stdout.strip()
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        reasons.append(f"{protocol}: exit {done.returncode}: {reason}")
    return "not scored: " + "; ".join(reasons)


def log_entries(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "loss_log.jsonl").read_text().splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", help="the demo release (trained on and scored)")
    parser.add_argument("--out", default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    parser.add_argument("--size", default="0.5b")
    parser.add_argument("--minutes", type=float, default=5.0, help="training time budget")
    parser.add_argument("--scenes", type=int, default=256, help="SYNTHETIC training scenes")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--speed-steps", type=int, default=12, help="steps per speed run")
    parser.add_argument("--compile-modes", default="off,on", help="off, on, or off,on")
    parser.add_argument("--dry-run", action="store_true", help="tiny model, CPU, a few steps")
    args = parser.parse_args(argv)
    if args.dry_run:
        args.size, args.minutes, args.scenes, args.batch_size = "tiny", 0.05, 2, 4
        args.speed_steps, args.compile_modes = 4, "off"
    started = time.perf_counter()
    out = Path(args.out or tempfile.mkdtemp(prefix="gpu-train-"))
    cuda = torch.cuda.is_available()
    device_name = torch.cuda.get_device_name() if cuda else "CPU (no GPU)"
    if not cuda and not args.dry_run:
        print("no CUDA device: run with --dry-run to check the code path on CPU")
        return 2
    config = make_config(args.size)
    estimate = estimate_training_memory(config, args.batch_size, vocab_size=2048)  # built BPE
    print("\n".join(estimate.lines()))
    if cuda and estimate.total > torch.cuda.get_device_properties(0).total_memory:
        print("warning: the estimate exceeds this GPU's memory; lower --batch-size")
    synthetic_release = out / "synthetic_release"
    if not synthetic_release.exists():
        held_out = synthetic_samples(max(2, args.scenes // 16), seed=1, image_size=512)
        write_release(held_out, synthetic_release, "synthetic-shapes", "heldout", progress=False)
    releases = [Path(args.release)] if args.release else []
    examples = load_examples(releases, (), args.scenes, seed=0, image_size=config.image_size)
    print(f"device: {device_name}; {len(examples)} training examples; size {args.size}")

    speeds = [
        measure_speed(examples, out, args.size, args, mode == "on")
        for mode in args.compile_modes.split(",")
    ]
    speed_lines = [
        f"- compile {'on' if s['compile'] else 'off'}: {s['s_per_step']:.3f} s/step, "
        f"{s['tokens_per_s']:,.0f} real tokens/s (mean {s['sequence']:.0f} per row), "
        f"model FLOPs utilisation {s['mfu']} ({s['tflops']:.2f} TFLOP/s), "
        f"peak GPU memory {s['peak_gib']:.1f} GiB, "
        f"compiled graphs so far {s['compiled_graphs']}"
        for s in speeds
    ]
    print("\n".join(speed_lines))
    step_time = speeds[0]["s_per_step"]
    steps = max(4, int(args.minutes * 60 / step_time))
    print(f"calibration: {step_time:.3f} s/step -> {steps} steps in {args.minutes} min")

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    recipe = TrainConfig(
        steps=steps,
        batch_size=args.batch_size,
        lr=args.lr,
        log_every=max(1, steps // 50),
        save_every=steps,
    )
    train_start = time.perf_counter()
    checkpoint = train(
        examples,
        out / "run",
        config,
        recipe,
        progress=True,
        recipe_extra={
            "data": {"releases": [str(r) for r in releases], "synthetic_scenes": args.scenes}
        },
    )
    train_seconds = time.perf_counter() - train_start
    graphs = compiled_graphs()
    print(f"compiled graphs (recompiles included): {graphs}")
    peak_gib = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
    log = log_entries(out / "run")
    tokens_per_s = statistics.median(e["tokens_per_s"] for e in log[1:] or log)
    predictor = PixelSAILPredictor.from_checkpoint(
        checkpoint, device="cuda" if cuda else "cpu", bf16=True, max_new_tokens=48
    )
    sequence = statistics.median(e["tokens_per_s"] * e["s_per_step"] for e in log) / args.batch_size
    achieved = tokens_per_s * flops_per_token(predictor.model, sequence) / 1e12
    peak = peak_tflops(device_name)
    mfu = f"{100 * achieved / peak:.1f}%" if peak else "n/a (unknown peak)"
    scores = []
    for path in [*releases, synthetic_release]:
        release = Release(path)
        predictions = predict_release(
            release, predictor, out / f"predictions-{release.name}.jsonl", batch_size=32
        )
        table = score(path, predictions, f"Pixel-SAIL {args.size} gpu_train", out / "eval")
        scores.append(f"release `{release.name}`:\n\n```\n{table}\n```")
    total_minutes = (time.perf_counter() - started) / 60
    lines = [
        f"## Pixel-SAIL {args.size} from scratch, bf16 ({'DRY RUN, ' if args.dry_run else ''}"
        f"{device_name}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- training: {steps} steps x batch {args.batch_size} in {train_seconds:.0f} s, "
        f"lr {args.lr}, loss {log[0]['loss']:.3f} -> {log[-1]['loss']:.3f}",
        f"- tokens/s: {tokens_per_s:,.0f}; model FLOPs utilisation: {mfu} "
        f"({achieved:.1f} TFLOP/s achieved)",
        f"- peak GPU memory: {peak_gib:.1f} GiB (estimated before the run: "
        f"{estimate.total / 2**30:.1f} GiB); whole check: {total_minutes:.1f} min",
        f"- compiled graphs in the process (recompiles included): {graphs}",
        f"- speed runs ({args.speed_steps} steps each, batch {args.batch_size}, bf16, "
        "the first two steps left out):",
        *speed_lines,
        "- the given release is also training data; the SYNTHETIC release (seed 1) is held out "
        "(a learnability and speed check, not a benchmark result):",
        "",
        *scores,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    with open(results, "a") as handle:
        handle.write("\n" + text)
    print(f"appended to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
