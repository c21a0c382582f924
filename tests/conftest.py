"""Source fixtures in the exact upstream formats (COCO, LVIS, panoptic, refer pickles, gRefCOCO,
SA-1B), shared by the builders' and the model's tests."""

from __future__ import annotations

import os
import sys

# Parallel jobs on a few cores: one BLAS/OpenMP thread per test process (and its children),
# set before numpy or torch is first imported. PERBENCH_TEST_THREADS overrides the cap.
TEST_THREADS = os.environ.get("PERBENCH_TEST_THREADS", "1")
for _variable in (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_variable] = TEST_THREADS

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from perbench.masks import encode

HEIGHT, WIDTH = 40, 60
SQUARE = [10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0]  # 20x20 polygon
TRIANGLE = [40.0, 5.0, 55.0, 5.0, 55.0, 20.0]


def crowd_rle() -> dict:
    """An uncompressed (iscrowd) RLE: a 6x6 block at rows 30..35, columns 40..45."""
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    mask[30:36, 40:46] = 1
    flat = mask.flatten(order="F")
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flat, [1 - flat[-1]]))))
    return {"size": [HEIGHT, WIDTH], "counts": np.diff(np.concatenate(([0], edges))).tolist()}


def write_jpeg(path: Path, color=(90, 120, 200)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (WIDTH, HEIGHT), color).save(path)


def coco_instances() -> dict:
    block = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    block[2:8, 2:12] = 1
    return {
        "images": [
            {"id": 0, "file_name": "sub/000000000000.jpg", "height": HEIGHT, "width": WIDTH},
            {"id": 7, "file_name": "000000000007.jpg", "height": HEIGHT, "width": WIDTH},
        ],
        "annotations": [
            {
                "id": 0,
                "image_id": 0,
                "category_id": 1,
                "segmentation": [SQUARE],
                "area": 400.0,
                "bbox": [10, 10, 20, 20],
                "iscrowd": 0,
            },
            {
                "id": 1,
                "image_id": 0,
                "category_id": 2,
                "segmentation": crowd_rle(),
                "area": 36.0,
                "bbox": [40, 30, 6, 6],
                "iscrowd": 1,
            },
            {
                "id": 2,
                "image_id": 0,
                "category_id": 3,
                "segmentation": [TRIANGLE],
                "area": 112.5,
                "bbox": [40, 5, 15, 15],
                "iscrowd": 0,
            },
            {
                "id": 3,
                "image_id": 7,
                "category_id": 1,
                "segmentation": encode(block),
                "area": 60.0,
                "bbox": [2, 2, 10, 6],
                "iscrowd": 0,
            },
        ],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person"},
            {"id": 2, "name": "dining_table", "supercategory": "furniture"},
            {"id": 3, "name": "cup", "supercategory": "kitchen"},
        ],
    }


@pytest.fixture
def coco_dir(tmp_path: Path) -> Path:
    """instances.json + captions.json + images/ (one image in a sub-folder, an image id 0)."""
    (tmp_path / "instances.json").write_text(json.dumps(coco_instances()))
    captions = {
        "annotations": [
            {"id": 1, "image_id": 0, "caption": "A person next to a cup."},
            {"id": 2, "image_id": 7, "caption": "Nothing here."},
        ]
    }
    (tmp_path / "captions.json").write_text(json.dumps(captions))
    write_jpeg(tmp_path / "images" / "sub" / "000000000000.jpg")
    write_jpeg(tmp_path / "images" / "000000000007.jpg")
    return tmp_path


@pytest.fixture
def lvis_dir(tmp_path: Path) -> Path:
    data = coco_instances()
    for image in data["images"]:
        name = image.pop("file_name").split("/")[-1]
        image["coco_url"] = f"http://images.cocodataset.org/val2017/{name}"
        image["not_exhaustive_category_ids"] = [1] if image["id"] == 0 else []
        image["neg_category_ids"] = [3] if image["id"] == 7 else []
    for ann in data["annotations"]:
        ann.pop("iscrowd")
    data["annotations"] = [a for a in data["annotations"] if a["id"] != 1]
    for category in data["categories"]:
        category.pop("supercategory")
        category.update({"synonyms": [category["name"]], "def": "a thing", "frequency": "f"})
    (tmp_path / "lvis_v1_val.json").write_text(json.dumps(data))
    write_jpeg(tmp_path / "val2017" / "000000000000.jpg")
    write_jpeg(tmp_path / "val2017" / "000000000007.jpg")
    return tmp_path


@pytest.fixture
def panoptic_dir(tmp_path: Path) -> Path:
    ids = np.zeros((HEIGHT, WIDTH), dtype=np.int64)
    ids[5:15, 5:25] = 1 + 256 * 2  # a thing segment whose id needs the G channel
    ids[20:40, :] = 3000  # stuff
    rgb = np.stack([ids % 256, (ids // 256) % 256, ids // 65536], axis=-1).astype(np.uint8)
    (tmp_path / "panoptic_val2017").mkdir()
    Image.fromarray(rgb).save(tmp_path / "panoptic_val2017" / "000000000005.png")
    write_jpeg(tmp_path / "val2017" / "000000000005.jpg")
    data = {
        "images": [{"id": 5, "file_name": "000000000005.jpg", "height": HEIGHT, "width": WIDTH}],
        "annotations": [
            {
                "image_id": 5,
                "file_name": "000000000005.png",
                "segments_info": [
                    {
                        "id": 513,
                        "category_id": 1,
                        "area": 200,
                        "bbox": [5, 5, 20, 10],
                        "iscrowd": 0,
                    },
                    {
                        "id": 3000,
                        "category_id": 184,
                        "area": 1200,
                        "bbox": [0, 20, 60, 20],
                        "iscrowd": 0,
                    },
                ],
            }
        ],
        "categories": [
            {
                "id": 1,
                "name": "person",
                "supercategory": "person",
                "isthing": 1,
                "color": [220, 20, 60],
            },
            {
                "id": 184,
                "name": "tree-merged",
                "supercategory": "plant",
                "isthing": 0,
                "color": [0, 0, 0],
            },
        ],
    }
    (tmp_path / "panoptic_val2017.json").write_text(json.dumps(data))
    return tmp_path


def refs() -> list[dict]:
    def sentence(i: int, text: str) -> dict:
        return {"sent_id": i, "sent": text, "raw": text.upper(), "tokens": text.split()}

    return [
        {
            "ref_id": 0,
            "ann_id": 0,
            "image_id": 0,
            "category_id": 1,
            "split": "train",
            "file_name": "COCO_train2014_000000000000_0.jpg",
            "sent_ids": [0, 1],
            "sentences": [sentence(0, "man on the left"), sentence(1, "guy in blue")],
        },
        {
            "ref_id": 1,
            "ann_id": 2,
            "image_id": 0,
            "category_id": 3,
            "split": "val",
            "file_name": "COCO_train2014_000000000000_2.jpg",
            "sent_ids": [2],
            "sentences": [sentence(2, "small cup")],
        },
    ]


@pytest.fixture
def refcoco_dir(coco_dir: Path) -> Path:
    folder = coco_dir / "refcoco"
    folder.mkdir()
    with (folder / "refs(unc).p").open("wb") as handle:
        pickle.dump(refs(), handle, protocol=2)
    (folder / "instances.json").write_text((coco_dir / "instances.json").read_text())
    return coco_dir


@pytest.fixture
def grefcoco_dir(coco_dir: Path) -> Path:
    grefs = [
        {
            "ref_id": 0,
            "ann_id": [0, 2],
            "image_id": 0,
            "category_id": [1, 3],
            "split": "train",
            "file_name": "x.jpg",
            "sent_ids": [0],
            "sentences": [{"sent_id": 0, "sent": "the man and the cup", "raw": "", "tokens": []}],
        },
        {
            "ref_id": 1,
            "ann_id": [-1],
            "image_id": 0,
            "category_id": [-1],
            "split": "train",
            "file_name": "x.jpg",
            "sent_ids": [1],
            "sentences": [{"sent_id": 1, "sent": "the dog", "raw": "", "tokens": []}],
        },
        {
            "ref_id": 2,
            "ann_id": [0],
            "image_id": 0,
            "category_id": [1],
            "split": "val",
            "file_name": "x.jpg",
            "sent_ids": [2],
            "sentences": [{"sent_id": 2, "sent": "left man", "raw": "", "tokens": []}],
        },
    ]
    (coco_dir / "grefs(unc).json").write_text(json.dumps(grefs))
    return coco_dir


@pytest.fixture
def sa1b_dir(tmp_path: Path) -> Path:
    mask = np.zeros((HEIGHT, WIDTH), dtype=np.uint8)
    mask[0:10, 0:10] = 1
    record = {
        "image": {"image_id": 11, "width": WIDTH, "height": HEIGHT, "file_name": "sa_11.jpg"},
        "annotations": [
            {
                "id": 900,
                "segmentation": encode(mask),
                "area": 100,
                "bbox": [0, 0, 10, 10],
                "predicted_iou": 0.93,
                "stability_score": 0.97,
                "point_coords": [[5.0, 5.0]],
                "crop_box": [0, 0, WIDTH, HEIGHT],
            }
        ],
    }
    (tmp_path / "sa_11.json").write_text(json.dumps(record))
    write_jpeg(tmp_path / "sa_11.jpg")
    return tmp_path


def pytest_runtest_setup(item) -> None:
    """Torch keeps its own thread pool: cap it too, once a test has imported torch."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != int(TEST_THREADS):
        torch.set_num_threads(int(TEST_THREADS))
