"""A generated COCO-format source (instances + captions + JPEGs) for tests, benchmarks and demos.

API:
  write_coco_source(folder, num_images, instances_per_image=7, size=(640, 480), seed=0,
                    crowd_rate=0.02) -> (instances_json, images_dir, captions_json)

Each image shows ``instances_per_image`` filled polygons (16-40 vertices, 1-15% of the image,
real-size COCO-like outlines) in category colours on a textured background; the annotations are
exactly the upstream COCO 2017 format (polygons, ``iscrowd`` regions as uncompressed RLE,
``bbox``, ``area``), so any reader or builder sees it as it would see COCO.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from perbench.masks import area, bbox, decode, to_rle

CATEGORIES = [
    (1, "person", "person", (200, 60, 60)),
    (2, "bicycle", "vehicle", (40, 90, 200)),
    (3, "car", "vehicle", (240, 215, 40)),
    (4, "bus", "vehicle", (240, 140, 30)),
    (5, "dog", "animal", (120, 75, 40)),
    (6, "cat", "animal", (128, 128, 128)),
    (7, "horse", "animal", (25, 25, 25)),
    (8, "chair", "furniture", (50, 150, 60)),
    (9, "couch", "furniture", (130, 60, 160)),
    (10, "dining table", "furniture", (240, 240, 240)),
    (11, "bottle", "kitchen", (240, 150, 185)),
    (12, "cup", "kitchen", (40, 200, 200)),
]


def _polygon(rng: np.random.Generator, width: int, height: int) -> list[float]:
    radius = np.sqrt(rng.uniform(0.01, 0.15) * width * height / np.pi)
    cx, cy = (
        rng.uniform(radius * 0.6, width - radius * 0.6),
        rng.uniform(radius * 0.6, height - radius * 0.6),
    )
    count = int(rng.integers(16, 41))
    angles = np.sort(rng.uniform(0, 2 * np.pi, count))
    radii = radius * rng.uniform(0.7, 1.2, count)
    xs = np.clip(cx + radii * np.cos(angles) * rng.uniform(0.6, 1.4), 0, width - 1)
    ys = np.clip(cy + radii * np.sin(angles), 0, height - 1)
    return [round(float(v), 2) for pair in zip(xs, ys, strict=True) for v in pair]


def write_coco_source(
    folder: str | Path,
    num_images: int,
    instances_per_image: int = 7,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
    crowd_rate: float = 0.02,
) -> tuple[Path, Path, Path]:
    folder = Path(folder)
    images_dir = folder / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    width, height = size
    images, annotations, captions = [], [], []
    for image_id in range(num_images):
        file_name = f"{image_id:012d}.jpg"
        noise = rng.integers(90, 160, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
        canvas = Image.fromarray(noise).resize((width, height), Image.BILINEAR)
        draw = ImageDraw.Draw(canvas)
        occupied = np.zeros((height, width), dtype=bool)
        names = []
        for _ in range(instances_per_image):
            category_id, name, _, color = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            polygon = _polygon(rng, width, height)
            mask = decode(to_rle([polygon], height, width)).astype(bool) & ~occupied
            if not mask.any():
                continue
            occupied |= mask
            shade = np.clip(np.array(color) + rng.integers(-20, 21, 3), 0, 255)
            draw.polygon(
                list(zip(polygon[::2], polygon[1::2], strict=True)),
                fill=tuple(int(v) for v in shade),
            )
            crowd = rng.random() < crowd_rate
            rle = to_rle(mask.astype(np.uint8))
            if crowd:
                flat = mask.flatten(order="F").astype(np.int8)
                edges = np.flatnonzero(np.diff(np.concatenate(([0], flat, [1 - flat[-1]]))))
                counts = np.diff(np.concatenate(([0], edges))).tolist()
                segmentation = {"size": [height, width], "counts": counts}
            else:
                segmentation = [polygon]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": category_id,
                    "segmentation": segmentation,
                    "area": float(area(rle)),
                    "bbox": bbox(rle),
                    "iscrowd": int(crowd),
                }
            )
            names.append(name)
        canvas.save(images_dir / file_name, quality=90)
        images.append({"id": image_id, "file_name": file_name, "height": height, "width": width})
        if names:
            captions.append(
                {
                    "id": image_id + 1,
                    "image_id": image_id,
                    "caption": f"A scene with a {names[0]} and more.",
                }
            )
    categories = [{"id": i, "name": n, "supercategory": s} for i, n, s, _ in CATEGORIES]
    instances_json = folder / "instances.json"
    instances_json.write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )
    captions_json = folder / "captions.json"
    captions_json.write_text(json.dumps({"images": images, "annotations": captions}))
    return instances_json, images_dir, captions_json
