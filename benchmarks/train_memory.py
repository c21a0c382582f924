"""Memory of the training data path over 10x more images: flat for the DataLoader, linear for
encoding everything up front (what models.train did before).

  python benchmarks/train_memory.py [--small 40] [--factor 10] [--batches 30] [--side 320]

Writes a COCO-format source (JPEG photos of random blocks, 3 instances each) of N and
factor x N images, then in a fresh process per run reads it with ``--source coco:...`` exactly
as ``perbench model train`` does (models.data.load_examples), and either
  stream:  iterates --batches batches of 8 through models.batching (map-style dataset,
           StepBatchSampler, 2 DataLoader workers), or
  eager:   encodes every example into tensors first (the baseline).
Prints the peak resident memory (parent, and the largest child process) per run, and the ratio of
the large run's peak to the small one's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def write_source(folder: Path, images: int, side: int) -> str:
    """A COCO instances file + JPEGs; returns the source spec."""
    from perbench.masks import encode

    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    data = {"images": [], "annotations": [], "categories": []}
    data["categories"] = [{"id": i, "name": n, "supercategory": "x"} for i, n in enumerate("abcd")]
    for index in range(images):
        pixels = rng.integers(0, 255, (side, side, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "images" / f"{index}.jpg", quality=90)
        data["images"].append(
            {"id": index, "file_name": f"{index}.jpg", "height": side, "width": side}
        )
        for k in range(3):
            mask = np.zeros((side, side), dtype=np.uint8)
            top, left = rng.integers(0, side // 2, 2)
            mask[top : top + side // 3, left : left + side // 3] = 1
            data["annotations"].append(
                {
                    "id": index * 3 + k,
                    "image_id": index,
                    "category_id": int(rng.integers(0, 4)),
                    "segmentation": encode(mask),
                    "area": float(mask.sum()),
                    "bbox": [int(left), int(top), side // 3, side // 3],
                    "iscrowd": 0,
                }
            )
    (folder / "instances.json").write_text(json.dumps(data))
    return f"coco:{folder / 'instances.json'}:{folder / 'images'}"


def child(spec: str, mode: str, batches: int) -> dict:
    from models.batching import Encoder, ExampleDataset, StepBatchSampler, collate, make_loader
    from models.config import make_config
    from models.data import load_examples, training_texts
    from models.tokenizer import TextCodec

    config = make_config("tiny", image_size=320)
    examples = load_examples(sources=[spec], image_size=config.image_size)
    codec = TextCodec.build(training_texts(examples[:200]), vocab_size=300)
    encoder = Encoder(config, codec)
    if mode == "eager":
        items = [encoder(e) for e in examples]
        assert len(items) == len(examples)
    else:
        gather = partial(
            collate, pad_id=codec.pad_id, max_prompts=15, config=config, seg_id=codec.seg_id
        )
        sampler = StepBatchSampler([(0,)] * len(examples), 8, count=batches)
        for _ in make_loader(ExampleDataset(examples, encoder), sampler, gather, workers=2):
            pass
    return {
        "examples": len(examples),
        "parent_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--side", type=int, default=320)
    parser.add_argument("--child", nargs=2, metavar=("SPEC", "MODE"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.batches)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="train-memory-"))
    sizes = [args.small, args.small * args.factor]
    specs = {n: write_source(work / str(n), n, args.side) for n in sizes}
    results = {}
    for mode in ("stream", "eager"):
        for n in sizes:
            command = [sys.executable, __file__, "--child", specs[n], mode]
            command += ["--batches", str(args.batches)]
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
            results[mode, n] = json.loads(done.stdout.strip().splitlines()[-1])
            row = results[mode, n]
            print(
                f"{mode:6s} {n:5d} images ({row['examples']} examples): peak parent "
                f"{row['parent_mib']:.0f} MiB, largest child process {row['worker_mib']:.0f} MiB"
            )
    for mode in ("stream", "eager"):
        ratio = results[mode, sizes[1]]["parent_mib"] / results[mode, sizes[0]]["parent_mib"]
        print(f"{mode}: peak parent memory x{ratio:.2f} for x{args.factor} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
