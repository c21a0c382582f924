"""Spot check on a demo-like store: a seeded, blind sample of accepted items judged by a second
reviewer, verdicts under the chain without changing states, and the estimate on the release card.
"""

from __future__ import annotations

import json

import pytest
from gradio_client import Client

from perbench.cli import main
from perbench.errors import PerBenchError, StoreError
from perbench.release import release_from_store
from perbench.review_log import AUTO_REVIEWER
from perbench.spot_check import plan, record_verdict
from perbench.stats import sample_size_for_width, wilson
from pipeline_demo.cli import auto_accept
from review_ui.app import launch_app
from review_ui.spot_check import SpotCheck, build_spot_app

WIDTH, EXPECTED = 0.6, 0.3  # small plans for a small store


@pytest.fixture
def demo_store(make_store, tmp_path):
    """Every candidate auto-accepted, as ``perbench demo`` does."""
    store = make_store(tmp_path / "demo.sqlite", per_task=5, photos=("voc", "arc2017"))
    auto_accept(store)
    return store


def test_the_plan_is_seeded_sized_for_the_width_and_excludes_own_accepts(demo_store):
    accepted = demo_store.candidate_ids("mcq")
    first = plan(demo_store, "mcq", "bob", seed=3, width=WIDTH, expected=EXPECTED)
    assert first == plan(demo_store, "mcq", "bob", seed=3, width=WIDTH, expected=EXPECTED)
    assert first.eligible == len(accepted)
    assert first.size == sample_size_for_width(WIDTH, EXPECTED) < len(accepted)
    assert len(set(first.ids)) == first.size and set(first.ids) <= set(accepted)
    others = {tuple(plan(demo_store, "mcq", "bob", seed=s, width=WIDTH).ids) for s in range(5)}
    assert len(others) > 1
    assert plan(demo_store, "mcq", AUTO_REVIEWER).eligible == 0  # nobody checks their own accepts


def test_sample_size_reaches_the_stated_width():
    for width, expected in ((0.05, 0.05), (0.02, 0.014), (0.1, 0.5)):
        n = sample_size_for_width(width, expected)
        low, high = wilson(round(expected * n), n)
        assert high - low <= width + 0.01  # k is rounded to an integer count
        low, high = wilson(round(expected * (n - 1)), n - 1)
        assert high - low > width - 0.01
    assert sample_size_for_width(0.05, 0.05, population=40) == 40


def test_a_spot_check_run_is_blind_logged_and_leaves_states_alone(demo_store, tmp_path):
    states_before = {k: v.status for k, v in demo_store.states().items()}
    spot = SpotCheck(demo_store, tmp_path / "display", "mcq", 1, WIDTH, EXPECTED)
    screen = spot.screen("bob")
    planned = spot.plan("bob").ids
    assert screen.sample_id == planned[0] and screen.image_url and not screen.done
    assert AUTO_REVIEWER not in screen.text + screen.progress + screen.message
    for index in range(len(planned)):
        if index < 2:
            screen = spot.verdict("bob", screen.sample_id, False, "wrong-answer")
        else:
            screen = spot.verdict("bob", screen.sample_id, True)
    assert screen.done and "2 of" not in screen.progress
    assert f"{len(planned)} of {len(planned)} judged" in screen.progress
    assert {k: v.status for k, v in demo_store.states().items()} == states_before
    spot_entries = [d for d in demo_store.decisions() if d.reviewer == "bob"]
    assert [d.decision for d in spot_entries[:2]] == ["spot_error", "spot_error"]
    assert spot_entries[0].reasons == [{"code": "wrong-answer"}]
    assert demo_store.verify_log().ok
    with pytest.raises(PerBenchError, match="not in bob's spot-check plan"):
        spot.verdict("bob", demo_store.candidate_ids("description")[0], True)
    with pytest.raises(PerBenchError, match="needs a note"):
        spot.verdict("carol", spot.plan("carol").ids[0], False, "other", "")
    with pytest.raises(StoreError, match="a spot check needs a second reviewer"):
        record_verdict(demo_store, planned[0], AUTO_REVIEWER, True)


def test_the_release_card_states_the_estimate_with_its_interval(demo_store, tmp_path):
    unmeasured = release_from_store(demo_store, tmp_path / "r0", "t", "0", progress=False)
    assert "estimated error after review: not measured" in (unmeasured / "README.md").read_text()
    spot = SpotCheck(demo_store, tmp_path / "display", "mcq", 0, WIDTH, EXPECTED)
    planned = spot.plan("bob").ids
    for index, sample_id in enumerate(planned):
        spot.verdict("bob", sample_id, index != 0, "ambiguous")
    release = release_from_store(demo_store, tmp_path / "r1", "t", "1", progress=False)
    n = len(planned)
    low, high = wilson(1, n)
    expected = f"estimated error after review: {1 / n:.1%} [{100 * low:.1f}, {100 * high:.1f}]"
    card = (release / "README.md").read_text()
    assert f"- `mcq`: {expected} (n={n})" in card
    assert "- `description`: estimated error after review: not measured" in card
    spot_check = json.loads((release / "manifest.json").read_text())["review"]["spot_check"]
    assert spot_check["mcq"]["errors"] == 1 and spot_check["mcq"]["n"] == n
    assert spot_check["mcq"]["ci95"] == pytest.approx([low, high])
    assert spot_check["vt_res"] == {"n": 0, "text": "estimated error after review: not measured"}


def test_the_spot_check_page_records_verdicts(demo_store, tmp_path, free_port):
    spot = SpotCheck(demo_store, tmp_path / "display", "vt_res", 0, WIDTH, EXPECTED)
    app = build_spot_app(spot, "nobody")
    url = launch_app(app, "127.0.0.1", free_port, {"bob": "bob-pw"}, tmp_path / "display")
    try:
        client = Client(url, auth=("bob", "bob-pw"), verbose=False)
        sample_id, image, text, progress, _ = client.predict(api_name="/show")
        assert sample_id == spot.plan("bob").ids[0] and "<img" in image
        assert AUTO_REVIEWER not in image + text + progress
        page = client.predict(sample_id, "wrong-target", "", api_name="/spot_error")
        assert f"Recorded {sample_id} as an error (wrong-target)" in page[4]
        client.predict(page[0], api_name="/spot_ok")
    finally:
        app.close()
    verdicts = [(d.reviewer, d.decision) for d in demo_store.decisions()[-2:]]
    assert verdicts == [("bob", "spot_error"), ("bob", "spot_ok")]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--spot-check", "captions"], "unknown task 'captions'"),
        (["--spot-check", "mcq", "--spot-width", "0"], "0 < width < 1"),
    ],
)
def test_bad_spot_check_arguments_are_one_error_line(demo_store, arguments, words, capsys):
    assert main(["review", str(demo_store.path), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and words in err and len(err.strip().splitlines()) == 1
