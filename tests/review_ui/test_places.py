"""Saved filters: one JSON per reviewer beside the store, checked when restored."""

from __future__ import annotations

import json

import pytest

from review_ui.controller import ReviewController
from review_ui.places import PlacesError, SavedFilters, places_dir
from review_ui.queue import TO_REVIEW, Filters

MCQ_CONFLICTS = {"task": "mcq", "status": "conflict", "category": "all", "reviewer": "all"}


def test_save_and_load_per_reviewer(tmp_path):
    store_path = tmp_path / "candidates.sqlite"
    places = SavedFilters(store_path)
    assert places.load("alice") is None
    places.save("alice", MCQ_CONFLICTS)
    places.save("../bob", {**MCQ_CONFLICTS, "task": "vt_res"})
    places.save("..", {**MCQ_CONFLICTS, "task": "description"})
    assert places.load("alice") == MCQ_CONFLICTS
    assert places.load("../bob")["task"] == "vt_res"
    assert places.load("..")["task"] == "description"
    folder = places_dir(store_path)
    assert folder == tmp_path / "candidates.sqlite.review-places"
    assert {p.name for p in folder.iterdir()} == {"...json", "..%2Fbob.json", "alice.json"}
    assert json.loads((folder / "alice.json").read_text())["filters"] == MCQ_CONFLICTS


def test_unreadable_file_is_a_typed_error_naming_it(tmp_path):
    places = SavedFilters(tmp_path / "candidates.sqlite")
    places.save("alice", MCQ_CONFLICTS)
    places.path("alice").write_text("{half a file")
    with pytest.raises(PlacesError, match=r"alice\.json.*cannot read.*delete the file"):
        places.load("alice")
    places.path("alice").write_text("[1, 2]")
    with pytest.raises(PlacesError, match="lack a 'filters' object"):
        places.load("alice")


def test_unwritable_folder_is_a_typed_error(tmp_path):
    (tmp_path / "candidates.sqlite.review-places").write_text("a file where the folder goes")
    with pytest.raises(PlacesError, match="cannot save the filters"):
        SavedFilters(tmp_path / "candidates.sqlite").save("alice", MCQ_CONFLICTS)


def test_controller_restores_filters_after_a_restart(store, tmp_path):
    category = ReviewController(store, tmp_path / "display").queue.categories()[0]
    chosen = Filters(task="mcq", status="all", category=category)
    first = ReviewController(store, tmp_path / "display")
    assert first.remember_filters("alice", chosen) == (chosen, "")
    restarted = ReviewController(store, tmp_path / "display")  # a new process: nothing in memory
    assert restarted.saved_filters("alice") == (chosen, "")
    assert restarted.saved_filters("bob") == (Filters(), "")


def test_values_no_longer_offered_fall_back_to_defaults(store, tmp_path):
    controller = ReviewController(store, tmp_path / "display")
    SavedFilters(store.path).save(
        "alice", {"task": "mcq", "status": "gone", "category": "unicorn", "reviewer": "all"}
    )
    filters, message = controller.saved_filters("alice")
    assert filters == Filters(task="mcq", status=TO_REVIEW)
    assert "status 'gone'" in message and "category 'unicorn'" in message
    filters, message = controller.remember_filters("alice", Filters(reviewer="nobody"))
    assert filters == Filters() and "reviewer 'nobody'" in message
    assert SavedFilters(store.path).load("alice")["reviewer"] == "all"
    SavedFilters(store.path).path("alice").write_text("not json")
    filters, message = controller.saved_filters("alice")
    assert filters == Filters() and message.startswith("Saved filters ignored:")
