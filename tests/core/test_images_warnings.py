"""decode_image counts PIL's warnings only: a warning from elsewhere (another thread of the
review server drawing an overlay) does not fail the decode."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from PIL import Image

from perbench.errors import ImageError
from perbench.images import decode_image


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((20, 30, 3), 128, np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_a_foreign_warning_during_decode_is_not_a_broken_image(monkeypatch):
    load = Image.Image.load

    def load_and_warn(self):
        warnings.warn("numpy copy keyword", DeprecationWarning, stacklevel=1)  # not from PIL
        return load(self)

    monkeypatch.setattr(Image.Image, "load", load_and_warn)
    assert decode_image(_jpeg(), "x.jpg").shape == (20, 30, 3)


def test_a_truncated_file_is_still_an_image_error():
    with pytest.raises(ImageError, match="x.jpg"):
        decode_image(_jpeg()[:-200], "x.jpg")
