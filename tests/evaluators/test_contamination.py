"""A model trained on images of the release it is scored on is marked on the leaderboard,
"trained on test images (N of M)"; one whose listed training images are all elsewhere is
marked as checked; a recipe that does not list its images is left unmarked."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from evaluators.api import evaluate
from evaluators.leaderboard import build_leaderboard
from evaluators.results import RESULTS_SUFFIX, results_stem
from perbench.images import pixel_sha256
from tests.evaluators.conftest import write_jsonl


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pixel_hash_survives_a_lossless_re_encoding():
    pixels = np.random.default_rng(0).integers(0, 255, (12, 9, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="BMP")
    assert pixel_sha256(png(pixels), "a") == pixel_sha256(buffer.getvalue(), "b")
    assert pixel_sha256(png(pixels), "a") != pixel_sha256(png(pixels[:, :8].copy()), "c")


def score(release_path, samples, tmp_path, name, recipe):
    answered = [{"id": s.id, "prediction": None} for s in samples if s.task == "vt_res"]
    predictions = write_jsonl(tmp_path / f"{name}.jsonl", answered)
    out = tmp_path / "results"
    evaluate(
        release_path, predictions, name, out_dir=out, progress=False, recipe=recipe,
        protocol="official", tasks=["vt_res"],
    )  # fmt: skip
    return out / (results_stem(name, "0.1", "official", None) + RESULTS_SUFFIX)


def test_leaderboard_marks_rows_trained_on_the_release_images(
    release_path, release, samples, tmp_path
):
    release_images = {
        s.image_id: pixel_sha256(s.image, s.id)
        for task in release.tasks
        for s in release.samples(task, with_image=True)
    }
    one = sorted(release_images.values())[0]
    elsewhere = pixel_sha256(png(np.zeros((4, 4, 3), dtype=np.uint8)), "x")
    paths = [
        score(release_path, samples, tmp_path, "leaky", {"train_images": {"sha256": [one]}}),
        score(release_path, samples, tmp_path, "clean", {"train_images": {"sha256": [elsewhere]}}),
        score(release_path, samples, tmp_path, "unlisted", {"size": "tiny"}),
    ]
    markdown = build_leaderboard(paths, tmp_path / "board")["markdown"].read_text()
    total = len(set(release_images.values()))
    lines = markdown.splitlines()
    names = ("leaky", "clean", "unlisted")
    rows = {name: next(x for x in lines if f"| {name} |" in x) for name in names}
    assert f"trained on test images (1 of {total})" in rows["leaky"]
    assert "disjoint from the release (checked)" in rows["clean"]
    assert "test images" not in rows["unlisted"] and "disjoint" not in rows["unlisted"]
