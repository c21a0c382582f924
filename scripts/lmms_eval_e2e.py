"""End-to-end check: PerBench inside real lmms-eval 0.7.3, scored equal to `perbench evaluate`.

Run in the lmms environment (see README, "lmms-eval"):
    PYTHONPATH=. /work/venvs/lmms/bin/python scripts/lmms_eval_e2e.py --out /tmp/lmms-e2e

Steps: the demo release (built from the embedded photos, auto-accepted) -> deterministic
answers of a dummy model written as a predictions JSONL -> `perbench export lmms-eval` ->
`lmms_eval.evaluator.simple_evaluate` with a dummy `lmms` instance that answers each document
from that JSONL -> `perbench evaluate` on the same JSONL -> both printed side by side; exit 1
if any figure differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evaluators.api import evaluate
from evaluators.export_lmms import export_lmms
from perbench.masks import union_rle
from perbench.release import Release
from perbench.schema import OPTION_LETTERS


def dummy_answers(release: Release) -> dict[str, object]:
    """Answers that exercise every metric: right, wrong, partial and empty ones."""
    answers: dict[str, object] = {}
    for number, sample in enumerate(release.samples()):
        if sample.task == "description":
            words = sample.references[0].split()
            answers[sample.id] = " ".join(words[: max(1, len(words) * (number % 3 + 1) // 3)])
        elif sample.task == "mcq":
            answers[sample.id] = OPTION_LETTERS[(sample.answer + number % 2) % len(sample.options)]
        else:
            choices = [
                union_rle(sample.targets, sample.height, sample.width),
                sample.prompts[0]["mask"],
                None,
            ]
            # one answer in four is text a model might write instead of JSON
            answers[sample.id] = choices[number % 3] if number % 4 else "the chair on the left"
    return answers


def run_lmms_eval(tasks_dir: Path, answers: dict[str, object]) -> dict:
    from lmms_eval.api.model import lmms
    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.tasks import TaskManager

    class DummyPerBench(lmms):
        """Answers each document from the predictions file (by the document's sample id)."""

        def generate_until(self, requests) -> list[str]:
            out = []
            for request in requests:
                _, _, _, doc_id, task, split = request.args
                sample_id = self.task_dict[task][split][doc_id]["id"]
                answer = answers[sample_id]
                out.append(answer if isinstance(answer, str) else json.dumps(answer))
            return out

        def loglikelihood(self, requests):
            raise NotImplementedError("PerBench tasks only generate")

        def generate_until_multi_round(self, requests):
            raise NotImplementedError("PerBench tasks are single-round")

    return simple_evaluate(
        model=DummyPerBench(),
        tasks=["perbench"],
        task_manager=TaskManager(include_path=str(tasks_dir)),
        batch_size=1,
        log_samples=False,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--protocol", default="strict", choices=["strict", "official"])
    args = parser.parse_args()
    from pipeline_demo.cli import build_release

    release = Release(build_release(args.out, seed=0, progress=False))
    answers = dummy_answers(release)
    predictions = args.out / "dummy.predictions.jsonl"
    predictions.write_text(
        "".join(json.dumps({"id": k, "prediction": v}) + "\n" for k, v in answers.items())
    )
    tasks_dir = args.out / f"lmms-tasks-{args.protocol}"
    export_lmms(release, tasks_dir, args.protocol)
    harness = run_lmms_eval(tasks_dir, answers)["results"]
    ours = evaluate(release, predictions, "dummy", protocol=args.protocol, progress=False)
    m = ours["metrics"]
    pairs = [
        (
            "description METEOR (%)",
            harness["perbench_description"]["meteor,none"],
            100 * m["description"]["meteor"],
        ),
        (
            "mcq accuracy (%)",
            harness["perbench_mcq"]["accuracy,none"],
            100 * m["mcq"]["accuracy"],
        ),
        ("vt_res cIoU (%)", harness["perbench_vt_res"]["ciou,none"], 100 * m["vt_res"]["ciou"]),
        ("vt_res gIoU (%)", harness["perbench_vt_res"]["giou,none"], 100 * m["vt_res"]["giou"]),
        (
            "vt_res answers not JSON masks",
            harness["perbench_vt_res"]["not_json,none"],
            ours["counts"]["not_json"],
        ),
        (
            "group perbench_score = Overall",
            harness["perbench"]["perbench_score,none"],
            ours["headline"]["overall"],
        ),
    ]
    print(
        f"release {release.name} {release.version}, protocol {args.protocol}, "
        f"{sum(release.count(t) for t in release.tasks)} samples"
    )
    print("| figure | lmms-eval 0.7.3 | perbench evaluate | equal |")
    print("| --- | ---: | ---: | --- |")
    same = True
    for name, theirs, mine in pairs:
        equal = abs(theirs - mine) <= 1e-9 * max(1.0, abs(mine))
        same &= equal
        print(f"| {name} | {theirs:.10f} | {mine:.10f} | {'yes' if equal else 'NO'} |")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
