"""Issue 20 on the model side: a source weight that is not a finite number, and a DataLoader
worker's error arriving as one line (not the worker's traceback)."""

from __future__ import annotations

import pytest
import torch

from models.batching import worker_errors_in_one_line
from models.train import split_weight
from perbench.errors import ImageError, PerBenchError


@pytest.mark.parametrize("weight", ["nan", "inf", "-1", "0"])
def test_a_source_weight_must_be_a_finite_positive_number(weight):
    with pytest.raises(PerBenchError, match="finite number above 0"):
        split_weight(f"coco:a.json:img@{weight}")
    assert split_weight("coco:a.json:img@2") == ("coco:a.json:img", 2.0)


class _Broken(torch.utils.data.Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        raise ImageError("broken or truncated image", where="photo.jpg")


def test_a_worker_error_keeps_its_type_and_its_own_one_line_message():
    loader = torch.utils.data.DataLoader(_Broken(), batch_size=1, num_workers=1)
    with pytest.raises(ImageError) as caught:
        next(worker_errors_in_one_line(iter(loader)))
    assert str(caught.value) == "photo.jpg: broken or truncated image"
