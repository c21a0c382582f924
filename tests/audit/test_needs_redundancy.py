"""The audit counts items carrying reviewer checks (``meta["needs"]``) and V-T RES texts whose
relation adds nothing, per family."""

from __future__ import annotations

from evaluators.audit.needs_share import needs_audit
from evaluators.audit.run import AuditOptions, audit_samples
from evaluators.audit.summary import summary_lines
from evaluators.audit.vtres import vtres_audit
from perbench.needs import make_need


def test_a_text_whose_targets_are_the_category_minus_the_prompts_is_redundant(make):
    person, other = make.instance("p", "person", make.PERSON), make.box(2, 2, 8, 30)
    instances = [person, make.instance("q", "person", other)]
    sample = make.vtres("vt-others", "img-o", instances, [other], category="person")
    report = vtres_audit([sample, make.clean_vtres()])
    assert report["redundant"]["overall"]["k"] == 1
    assert report["redundant"]["examples"][0]["id"] == "vt-others"
    assert report["vacuous"]["overall"]["k"] == 0  # not vacuous: the prompt is a person too


def test_a_text_whose_target_is_the_nearest_instance_is_redundant(make):
    near = make.box(10, 10, 13, 20)  # two pixels left of the person
    instances = [
        make.instance("p", "person", make.PERSON),
        make.instance("a", "chair", near),
        make.instance("b", "chair", make.CHAIR_RIGHT),
    ]
    report = vtres_audit([make.vtres("vt-near", "img-n", instances, [near])])
    assert report["redundant"]["by_relation"]["left_of"]["k"] == 1


def test_a_clean_text_is_not_redundant(make):
    report = vtres_audit([make.clean_vtres(), make.ambiguous_vtres()])
    assert report["redundant"]["overall"]["k"] == 0


def test_the_share_of_items_with_needs_is_reported_per_family(make):
    plain = make.clean_vtres()
    checked = make.clean_vtres("v-checked")
    need = make_need("complete", "chair", "Is any chair not outlined?", [make.CHAIR_LEFT], "left")
    checked.meta["needs"] = [need]
    descriptions = make.clean_descriptions()[:3]
    report = needs_audit([plain, checked, *descriptions])
    assert report["overall"]["k"] == 1 and report["overall"]["n"] == 5
    assert report["by_family"]["vt_res/left_of"]["k"] == 1
    assert report["by_family"]["description"]["k"] == 0
    assert report["by_kind"] == {"complete": 1}


def test_perbench_audit_prints_both_shares(make):
    checked = make.clean_vtres("v-checked")
    need = make_need("complete", "chair", "Is any chair not outlined?", [make.CHAIR_LEFT], "left")
    checked.meta["needs"] = [need]
    samples = [checked, make.clean_vtres(), *make.clean_mcqs(8)]
    report = audit_samples(samples, [], 1, None, AuditOptions(meteor="none", progress=False))
    lines = "\n".join(summary_lines(report))
    assert "reviewer checks (needs): 0.10" in lines and "vt_res/left_of" in lines
    assert "V-T RES relation-redundant: 0.00" in lines
