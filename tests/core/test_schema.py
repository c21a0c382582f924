"""Sample schema: every error names the sample id and the field."""

from __future__ import annotations

import pytest

from perbench.errors import SchemaError
from perbench.masks import empty_rle
from perbench.schema import Sample, make_sample_id, prompt_tags, validate_sample


def _by_task(samples, task):
    return next(s for s in samples if s.task == task)


def test_valid_samples_pass(samples):
    for sample in samples:
        assert validate_sample(sample) is sample


@pytest.mark.parametrize(
    "task, changes, field",
    [
        ("mcq", {"answer": 7}, "answer"),
        ("mcq", {"answer": True}, "answer"),
        ("mcq", {"options": ["cat", "Cat "]}, "options"),
        ("mcq", {"options": ["only one"]}, "options"),
        ("mcq", {"references": ["x"]}, "references"),
        ("description", {"references": []}, "references"),
        ("description", {"references": [""]}, "references"),
        ("description", {"question": "describe <region2>"}, "question"),
        ("vt_res", {"targets": None}, "targets"),
        ("vt_res", {"targets": [empty_rle(3, 3)]}, "targets"),
        ("vt_res", {"task": "segment"}, "task"),
        ("vt_res", {"width": 0}, "width"),
        ("vt_res", {"prompts": []}, "prompts"),
        ("vt_res", {"prompts": [{"tag": "region1", "mask": empty_rle(375, 500)}]}, "prompts"),
    ],
)
def test_errors_name_sample_and_field(samples, task, changes, field):
    broken = _by_task(samples, task).copy_with(**changes)
    with pytest.raises(SchemaError) as caught:
        validate_sample(broken)
    assert f"sample {broken.id}" in str(caught.value)
    assert f"field '{field}'" in str(caught.value)


def test_prompt_mask_of_wrong_size_is_named(samples):
    sample = _by_task(samples, "mcq")
    broken = sample.copy_with(prompts=[{"tag": "<region1>", "mask": empty_rle(10, 10)}])
    with pytest.raises(SchemaError, match=r"<region1>.*differs from the image size 375x500"):
        validate_sample(broken)


def test_copy_with_leaves_original_untouched(samples):
    sample = _by_task(samples, "mcq")
    copy = sample.copy_with(options=["a", "b"], answer=0)
    copy.prompts[0]["tag"] = "<region9>"
    assert sample.options != ["a", "b"] and sample.prompts[0]["tag"] == "<region1>"


def test_ids_are_stable_and_distinct():
    assert make_sample_id("mcq", "img", 3) == make_sample_id("mcq", "img", 3)
    assert make_sample_id("mcq", "img", 3) != make_sample_id("mcq", "img", 4)
    assert make_sample_id("mcq", "img", 3).startswith("mcq-")


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(SchemaError, match="unknown fields"):
        Sample.from_dict({"id": "x", "colour": 1})
    with pytest.raises(SchemaError, match="missing fields"):
        Sample.from_dict({"id": "x"})


def test_prompt_tags_in_order():
    assert prompt_tags("<region2> left of <region1> and <region2>") == ["<region2>", "<region1>"]


def test_empty_prompt_mask_is_refused(samples):
    sample = _by_task(samples, "mcq")
    empty = sample.copy_with(
        prompts=[{"tag": "<region1>", "mask": empty_rle(sample.height, sample.width)}]
    )
    with pytest.raises(SchemaError, match=r"field 'prompts'.*<region1>.*empty"):
        validate_sample(empty)


@pytest.mark.parametrize("field", ["meta", "source"])
def test_meta_and_source_must_be_json(samples, field):
    sample = _by_task(samples, "description").copy_with(**{field: {"count": {1, 2}}})
    with pytest.raises(SchemaError, match=f"field '{field}'.*JSON"):
        validate_sample(sample)


def test_tags_use_ascii_digits_only(samples):
    sample = _by_task(samples, "description")
    arabic_one = "<region\u0661>"
    assert prompt_tags(f"describe {arabic_one}") == []
    renamed = sample.copy_with(prompts=[{**sample.prompts[0], "tag": arabic_one}])
    with pytest.raises(SchemaError, match="is not like <region1>"):
        validate_sample(renamed)


def test_unicode_ids_and_texts_are_valid(samples):
    sample = _by_task(samples, "description").copy_with(
        id="描述-ü-🐱", image_id="画像-1", references=["eine Katze 🐱 auf dem Stuhl"]
    )
    assert validate_sample(sample) is sample
