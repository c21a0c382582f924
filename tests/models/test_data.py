"""Prompt formats, the SYNTHETIC set, tokenizer round trip, configs."""

from __future__ import annotations

import numpy as np
import pytest

from models.config import ABLATIONS, SIZES, make_config
from models.data import examples_from_samples, examples_from_sources
from models.prompting import model_prompt, training_answers
from models.synthetic import COLOURS, SYNTHETIC_DATASET, synthetic_samples
from models.tokenizer import TextCodec
from perbench.errors import PerBenchError
from perbench.masks import decode, encode
from perbench.prompts import MCQ_INSTRUCTION
from perbench.render import load_rgb
from perbench.schema import Sample
from perbench.sources import Instance, SourceImage


def _mcq() -> Sample:
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[1, 1] = 1
    return Sample(
        id="mcq-1",
        task="mcq",
        image_id="img",
        width=5,
        height=4,
        question="What is <region2> next to <region1>?",
        prompts=[
            {"tag": "<region1>", "mask": encode(mask)},
            {"tag": "<region2>", "mask": encode(mask)},
        ],
        options=["a cup", "a dog", "a tree"],
        answer=1,
    )


def test_mcq_prompt_lists_lettered_options_and_the_instruction():
    sample = _mcq()
    assert model_prompt(sample) == (
        "What is <Prompt1> next to <Prompt0>?\nA. a cup\nB. a dog\nC. a tree\n" + MCQ_INSTRUCTION
    )
    assert training_answers(sample) == ["B"]


def test_description_and_vt_res_prompts_are_the_question():
    mask = encode(np.ones((2, 2), dtype=np.uint8))
    base = dict(image_id="i", width=2, height=2, prompts=[{"tag": "<region1>", "mask": mask}])
    desc = Sample(
        id="d", task="description", question="Describe <region1>.", references=["x", "y"], **base
    )
    res = Sample(id="r", task="vt_res", question="the cup left of <region1>", targets=[], **base)
    assert model_prompt(desc) == "Describe <Prompt0>."
    assert training_answers(desc) == ["x", "y"]
    assert model_prompt(res) == "the cup left of <Prompt0>"
    assert training_answers(res) == ["[SEG]"]


def test_synthetic_set_is_valid_labelled_and_its_masks_are_exact():
    samples = synthetic_samples(3, seed=1, image_size=96)
    assert len(samples) == 30 and len({s.id for s in samples}) == 30
    assert all(s.source["dataset"] == SYNTHETIC_DATASET and s.meta["synthetic"] for s in samples)
    for sample in samples:
        rgb = load_rgb(sample.image)
        prompt = decode(sample.prompts[0]["mask"]).astype(bool)
        assert (rgb[prompt] == COLOURS[sample.meta["colour"]]).all()
        if sample.task == "vt_res":
            target = decode(sample.targets[0]).astype(bool)
            assert target.any() and not (target & prompt).any()
            side = "left" if "left" in sample.question else "right"
            centre = np.nonzero(target)[1].mean() < np.nonzero(prompt)[1].mean()
            assert centre == (side == "left")
        if sample.task == "mcq":
            truth = sample.options[sample.answer]
            assert truth in (sample.meta["colour"], sample.meta["shape"])
    assert synthetic_samples(3, seed=1, image_size=96)[5].to_dict() == samples[5].to_dict()


def test_sources_give_plain_referring_segmentation():
    mask = encode(np.eye(4, dtype=np.uint8))
    image = SourceImage(
        key="k",
        file_name="f.png",
        width=4,
        height=4,
        dataset="d",
        license="l",
        instances=[Instance(id="1", mask=mask, category="cup", texts=["the left cup"])],
        load_bytes=lambda: b"png",
    )
    examples = examples_from_sources([image])
    [res] = [e for e in examples if e.task == "vt_res"]
    assert res.text == "Please segment: cup."
    assert res.prompts == [] and res.answer == "[SEG]" and res.targets == [mask]
    [caption] = [e for e in examples if e.task == "description"]
    assert caption.answer == "the left cup" and caption.prompts == [mask]
    assert not [e for e in examples if e.task == "mcq"]  # one category: no distractor
    assert res.image_bytes() == b"png"


def test_examples_expand_references_and_keep_union_targets():
    samples = synthetic_samples(1, image_size=64)
    examples = examples_from_samples(samples)
    assert len(examples) == len(samples)
    vt = [e for e in examples if e.task == "vt_res"]
    assert all(e.targets and e.answer == "[SEG]" for e in vt)
    inference = examples_from_samples(samples, train=False)
    assert all(e.answer is None and e.targets is None for e in inference)


def test_tokenizer_round_trip_keeps_special_tokens(tmp_path):
    codec = TextCodec.build(["a red circle", "the shape left of <Prompt0>"], vocab_size=300)
    ids = codec.encode("the shape left of <Prompt3> [SEG]")
    assert codec.prompt_ids[3] in ids and codec.seg_id in ids
    codec.save(tmp_path)
    loaded = TextCodec.load(tmp_path)
    assert loaded.encode("the shape left of <Prompt3> [SEG]") == ids
    assert (
        loaded.prompt_ids == codec.prompt_ids
        and loaded.decode(codec.encode("a red circle")) == "a red circle"
    )


def test_sizes_copy_qwen25_shapes_and_ablations_switch_components():
    half = make_config("0.5b")
    assert (half.hidden_size, half.num_hidden_layers, half.num_attention_heads) == (896, 24, 14)
    assert (half.intermediate_size, half.num_key_value_heads) == (4864, 2)
    three = make_config("3b")
    assert (three.hidden_size, three.num_hidden_layers, three.intermediate_size) == (
        2048,
        36,
        11008,
    )
    plain = make_config("tiny", "plain")
    assert not (plain.upsampler or plain.prompt_injection or plain.distillation)
    assert set(SIZES) == {"tiny", "0.5b", "3b"} and list(ABLATIONS)[-1] == "full"
    with pytest.raises(PerBenchError, match="unknown model size"):
        make_config("7b")
    with pytest.raises(PerBenchError, match="multiple of patch_size"):
        make_config("tiny", image_size=100)
