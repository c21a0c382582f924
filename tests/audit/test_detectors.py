"""Each audit detector fires on samples built to trip it, and stays quiet on a clean set."""

from __future__ import annotations

from evaluators.audit.descriptions import description_audit
from evaluators.audit.gates import evaluate_gates
from evaluators.audit.mcq_blind import blind_baselines
from evaluators.audit.mcq_items import mcq_items, repeats
from evaluators.audit.review import ReviewRecord
from evaluators.audit.run import AuditOptions, audit_samples
from evaluators.audit.vtres import vtres_audit


def _audit(samples, reviewer="alice"):
    records = [ReviewRecord(s.id, "accepted", (reviewer,)) for s in samples]
    options = AuditOptions(meteor="none", progress=False)
    return audit_samples(samples, records, 1, None, options)


def _gates(report):
    return {gate["gate"]: gate for gate in report["gates"]}


def test_always_longest_answer_is_found_blind_and_refused(make):
    samples = make.longest_answer_mcqs()
    blind = blind_baselines(mcq_items(samples))
    assert blind["strategies"]["longest"]["overall"]["value"] == 1.0
    assert blind["best"]["accuracy"]["value"] == 1.0 and blind["best"]["chance"] == 0.25
    gate = _gates(_audit(samples))["mcq_blind"]
    assert gate["status"] == "fail" and "longest" in gate["text"]


def test_learned_blind_model_finds_a_word_shortcut(make):
    samples = []
    for index in range(80):
        options = ["red", "blue", "green"]
        options.insert(index % 4, "black")  # the answer is always the same word
        samples.append(make.mcq(index, f"img-{index // 2}", options, index % 4))
    learned = blind_baselines(mcq_items(samples))["strategies"]["learned"]["overall"]
    assert learned["value"] > 0.9 and learned["n"] == 80


def test_numeric_rank_and_centrality_shortcuts(make):
    counts, cells = [], []
    for index in range(40):
        answer = 3 + index % 5
        options = [str(answer - 1), str(answer), str(answer + 1), str(answer + 2)]
        counts.append(make.mcq(index, f"img-{index}", options, 1, family="count"))
        grid = ["top left", "center", "bottom right", "top right"]
        cells.append(make.mcq(100 + index, f"img-{index}", grid, 1, family="position"))
    strategies = blind_baselines(mcq_items(counts + cells))["strategies"]
    assert strategies["numeric_rank"]["by_family"]["count"]["value"] == 1.0
    assert strategies["centrality"]["by_family"]["position"]["value"] == 1.0


def test_repeated_items_are_counted_once_per_extra_copy(make):
    options = ["1", "2", "3", "4"]
    samples = [make.mcq(i, "same-image", options, 2) for i in range(3)]
    for sample in samples:
        sample.question = "How many chairs are there?"
    samples.append(make.mcq(9, "other-image", options, 2))
    found = repeats(mcq_items(samples))
    assert found["overall"]["k"] == 2 and found["overall"]["n"] == 4


def test_circular_rotations_are_one_item(make):
    samples = make.longest_answer_mcqs(4, per_image=4)
    for rotation, sample in enumerate(samples):
        sample.meta["circular"] = {"group": "g", "rotation": rotation, "size": 4}
    assert [item.id for item in mcq_items(samples)] == [samples[0].id]


def test_vacuous_vtres_text_is_flagged(make):
    report = vtres_audit([make.vacuous_vtres(), make.clean_vtres()])
    assert report["vacuous"]["overall"]["k"] == 1
    assert report["vacuous"]["examples"][0]["id"] == "vt-v-vacuous"


def test_ambiguity_recheck_flags_a_second_instance_that_satisfies_the_text(make):
    report = vtres_audit([make.ambiguous_vtres(), make.clean_vtres()])
    assert report["ambiguity"]["flagged"]["k"] == 1
    flagged = report["ambiguity"]["examples"][0]
    assert flagged["id"] == "vt-v-ambiguous" and "non-target c" in flagged["reasons"][0]


def test_a_target_outside_the_named_category_is_flagged_not_a_crash(make):
    sample = make.clean_vtres()
    sample.meta["relation"]["name"] = "nearest"
    sample.targets = [sample.prompts[0]["mask"]]  # the prompt (a person) as its own target
    report = vtres_audit([sample])
    assert report["ambiguity"]["flagged"]["k"] == 1
    assert "not a 'chair'" in report["ambiguity"]["examples"][0]["reasons"][0]


def test_samples_without_instance_lists_are_counted_not_judged(make):
    sample = make.clean_vtres()
    del sample.meta["image_instances"]
    report = vtres_audit([sample])
    assert report["without_instances"] == 1 and report["vacuous"]["overall"]["n"] == 0


def test_identical_descriptions_in_one_image_are_flagged(make):
    text = "A wooden chair with a curved back."
    samples = [
        make.description("d-a", "img", text, make.CHAIR_LEFT),
        make.description("d-b", "img", text.upper(), make.CHAIR_RIGHT),
        make.description("d-c", "other", text, make.CHAIR_LEFT),  # another image: not a duplicate
    ]
    report = description_audit(samples)
    assert report["identical"]["samples"]["k"] == 2 and report["identical"]["pairs"] == 1
    gate = _gates(_audit(samples))["identical_descriptions"]
    assert gate["status"] == "fail"


def test_a_clean_set_passes_every_gate(make):
    samples = (
        make.clean_mcqs()
        + [make.clean_vtres(f"v{i}") for i in range(12)]
        + make.clean_descriptions()
    )
    report = _audit(samples)
    statuses = {name: gate["status"] for name, gate in _gates(report).items()}
    assert statuses == {
        "mcq_blind": "pass",
        "vtres_vacuous": "pass",
        "mcq_repeats": "pass",
        "identical_descriptions": "pass",
        "unreviewed": "pass",
    }


def test_small_clean_mcq_set_is_uncertain_not_passed(make):
    report = _audit(make.clean_mcqs(count=12))
    assert _gates(report)["mcq_blind"]["status"] in ("uncertain", "fail")


def test_auto_accepted_samples_are_unreviewed(make):
    samples = make.clean_descriptions()
    report = _audit(samples, reviewer="demo-auto-accept")
    assert report["review"]["unreviewed"] == 3
    assert _gates(report)["unreviewed"]["status"] == "fail"
    assert evaluate_gates(report, allow_unreviewed=True)[-1]["status"] == "skipped"
