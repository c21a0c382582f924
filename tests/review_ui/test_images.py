"""Content-addressed display images: drawn once, evicted and redrawn, unknown names refused."""

from __future__ import annotations

import threading
import time

import numpy as np

from review_ui.images import DisplayImages, content_key, key_url


def _slow_render(calls: list[int], value: int):
    def render() -> dict[str, np.ndarray]:
        calls.append(value)
        time.sleep(0.05)  # long enough for the other caller to arrive while drawing
        return {"": np.full((8, 6, 3), value, np.uint8), "near": np.zeros((4, 4, 3), np.uint8)}

    return render


def test_a_picture_asked_for_at_once_is_drawn_once(tmp_path):
    images, calls = DisplayImages(tmp_path), []
    key = content_key(["image", 1])
    images.plan(key, _slow_render(calls, 7))
    found: list = []
    threads = [threading.Thread(target=lambda: found.append(images.files(key))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [7] and found[0] == found[1] == found[2]
    assert images.served(key_url(key, "near").rsplit("/", 1)[1]) == found[0]["near"]


def test_evicted_pictures_are_redrawn_and_unknown_names_refused(tmp_path):
    images, calls = DisplayImages(tmp_path, keep=1), []
    first, second = content_key("a"), content_key("b")
    images.plan(first, _slow_render(calls, 1))
    images.plan(second, _slow_render(calls, 2))
    old = images.files(first)[""]
    images.files(second)
    assert not old.exists()  # keep=1: the older drawing left the disk
    assert images.served(old.name) == old and old.exists() and calls == [1, 2, 1]
    assert images.served("view-" + "0" * 32 + ".jpg") is None  # never planned
    assert images.served("../candidates.sqlite") is None
    assert content_key("a") != content_key("b") and len(first) == 32
