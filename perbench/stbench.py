"""Export releases to, and import them from, the JSON layout of the authors' evaluation scripts.

API:
  export_stbench(release, out_dir) -> dict[str, Path]   the three JSON files + images/
  import_stbench(folder, images_dir=None) -> list[Sample]

Files (bytedance/Sa2VA ``sa2va_eval/projects/ST/eval/stbench_*_eval.py`` read these):
  STBench_Detailed_Caption.json  [{image_name, object_annotations: [{segmentation, caption}]}]
  STBench_MCQ.json               [{image_name, mcqs: [{object, question, answer}]}]
                                 question = stem + one "A. option" line per option; answer = letter
  STBench_VRES.json              [{image_name, question, answer, segmentations: {tag: RLE}}]
                                 tags in the question are prompts, tags in the answer targets
Exports add keys the authors' scripts ignore (``id``, ``question``, ``references``,
``segmentations``) so an export imports back to the same samples; files without them (the
authors' own data) import with derived ids and default questions.
"""

from __future__ import annotations

import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from perbench.errors import ReleaseError, SourceError
from perbench.images import image_size
from perbench.jsonfile import read_json
from perbench.limits import file_stem
from perbench.masks import check_rle
from perbench.orientation import neutral_orientation
from perbench.outputs import output_folder
from perbench.release import Release
from perbench.schema import OPTION_LETTERS, Sample, make_sample_id, prompt_tags, validate_sample
from perbench.sources.base import confined_path
from perbench.verified import open_verified

CAPTION_FILE = "STBench_Detailed_Caption.json"
MCQ_FILE = "STBench_MCQ.json"
VRES_FILE = "STBench_VRES.json"
DESCRIPTION_QUESTION = "Please describe <region1> in detail."
OPTION_LINE = re.compile(r"^([A-J])\.\s+(.*)$")


def _image_name(sample: Sample, taken: set[str]) -> str:
    """A file name for the sample's image: its id made safe, with the format's extension (kept if
    the id has it already), numbered when another image took that name."""
    from PIL import Image

    with Image.open(io.BytesIO(sample.image)) as image:
        extension = {"JPEG": ".jpg", "PNG": ".png"}.get(image.format or "", ".png")
    stem = file_stem(re.sub(r"[^A-Za-z0-9_.-]", "_", sample.image_id)) or "image"
    suffix = Path(stem).suffix
    if suffix.lower() in ({".jpg", ".jpeg"} if extension == ".jpg" else {extension}):
        stem, extension = stem[: -len(suffix)], suffix
    name, number = stem + extension, 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}{extension}"
    return name


def _target_tags(sample: Sample) -> list[str]:
    """Tags for the targets, numbered after the highest prompt tag so that none collides."""
    last = max(int(p["tag"][len("<region") : -1]) for p in sample.prompts)
    return [f"<region{last + k + 1}>" for k in range(len(sample.targets))]


def export_stbench(release: Release | str | Path, out_dir: str | Path) -> dict[str, Path]:
    """Write the three STBench JSON files and an ``images/`` folder; returns the paths."""
    out_dir = output_folder(out_dir)
    release = open_verified(release)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}

    def image_name(sample: Sample) -> str:
        if sample.image_id not in names:
            names[sample.image_id] = _image_name(sample, set(names.values()))
            (out_dir / "images" / names[sample.image_id]).write_bytes(sample.image)
        return names[sample.image_id]

    captions: dict[str, list] = defaultdict(list)
    for sample in release.samples("description", with_image=True):
        captions[image_name(sample)].append(
            {
                "segmentation": sample.prompts[0]["mask"],
                "caption": sample.references[0],
                "id": sample.id,
                "question": sample.question,
                "references": sample.references,
                "segmentations": {p["tag"]: p["mask"] for p in sample.prompts},
            }
        )
    mcqs: dict[str, list] = defaultdict(list)
    for sample in release.samples("mcq", with_image=True):
        lines = [f"{OPTION_LETTERS[i]}. {option}" for i, option in enumerate(sample.options)]
        mcqs[image_name(sample)].append(
            {
                "object": sample.prompts[0]["mask"],
                "question": "\n".join([sample.question, *lines]),
                "answer": OPTION_LETTERS[sample.answer],
                "id": sample.id,
                "segmentations": {p["tag"]: p["mask"] for p in sample.prompts},
            }
        )
    vres = []
    for sample in release.samples("vt_res", with_image=True):
        segmentations = {p["tag"]: p["mask"] for p in sample.prompts}
        target_tags = _target_tags(sample)
        segmentations.update(zip(target_tags, sample.targets, strict=True))
        vres.append(
            {
                "image_name": image_name(sample),
                "question": sample.question,
                "answer": " and ".join(target_tags) if target_tags else "none",
                "segmentations": segmentations,
                "id": sample.id,
            }
        )
    paths = {
        "description": out_dir / CAPTION_FILE,
        "mcq": out_dir / MCQ_FILE,
        "vt_res": out_dir / VRES_FILE,
    }
    content = {
        "description": [{"image_name": k, "object_annotations": v} for k, v in captions.items()],
        "mcq": [{"image_name": k, "mcqs": v} for k, v in mcqs.items()],
        "vt_res": vres,
    }
    for task, path in paths.items():
        path.write_text(json.dumps(content[task]))
    return paths


class _Importer:
    def __init__(self, folder: Path, images_dir: Path):
        self.folder = folder
        self.images_dir = images_dir
        self.cache: dict[str, tuple[bytes, int, int]] = {}

    def load_json(self, name: str) -> list | None:
        path = self.folder / name
        if not path.is_file():
            return None
        data = read_json(path, name, SourceError)
        if not isinstance(data, list):
            raise SourceError("must hold a JSON list of images", where=str(path))
        return data

    def image(self, image_name: Any, where: str) -> tuple[bytes, int, int]:
        if not isinstance(image_name, str):
            raise SourceError("'image_name' must be a string", where=where)
        if image_name not in self.cache:
            path = confined_path(self.images_dir, image_name, where)
            if not path.is_file():
                raise SourceError(f"image file not found: {path}", where=where)
            data = neutral_orientation(path.read_bytes(), str(path))
            height, width = image_size(data, f"{where}, image {path}")
            self.cache[image_name] = (data, height, width)
        return self.cache[image_name]

    def sample(self, task: str, image_name: str, where: str, key: Any, **fields: Any) -> Sample:
        data, height, width = self.image(image_name, where)
        for prompt in fields["prompts"]:
            prompt["mask"] = check_rle(prompt["mask"], (height, width), where=where)
        sample = Sample(
            id=fields.pop("id", None) or make_sample_id(task, "stbench", image_name, key),
            task=task,
            image_id=image_name,
            width=width,
            height=height,
            image=data,
            source={"dataset": "stbench", "image_name": image_name},
            meta={"file_name": image_name, "imported_from": where},
            **fields,
        )
        return validate_sample(sample)


def import_stbench(folder: str | Path, images_dir: str | Path | None = None) -> list[Sample]:
    """Read whichever of the three STBench files exist in ``folder`` into samples."""
    folder = Path(folder)
    importer = _Importer(folder, Path(images_dir) if images_dir else folder / "images")
    samples: list[Sample] = []
    for i, entry in _records(importer.load_json(CAPTION_FILE), f"{folder / CAPTION_FILE}, image"):
        where = f"{folder / CAPTION_FILE}, image {i}"
        for j, obj in _records(entry.get("object_annotations", []), f"{where}, object"):
            where = f"{folder / CAPTION_FILE}, image {i}, object {j}"
            prompts = _tag_masks(
                obj.get("segmentations") or {"<region1>": obj.get("segmentation")}, where
            )
            samples.append(
                importer.sample(
                    "description", entry.get("image_name"), where, (j,), id=obj.get("id"),
                    question=obj.get("question") or DESCRIPTION_QUESTION,
                    prompts=[{"tag": t, "mask": m} for t, m in prompts.items()],
                    references=obj.get("references") or [obj.get("caption")],
                )
            )  # fmt: skip
    for i, entry in _records(importer.load_json(MCQ_FILE), f"{folder / MCQ_FILE}, image"):
        for j, mcq in _records(entry.get("mcqs", []), f"{folder / MCQ_FILE}, image {i}, question"):
            where = f"{folder / MCQ_FILE}, image {i}, question {j}"
            stem, options = _split_options(str(mcq.get("question", "")), where)
            answer = str(mcq.get("answer", "")).strip().rstrip(".")
            if len(answer) != 1 or answer not in OPTION_LETTERS[: len(options)]:
                raise SourceError(f"answer {answer!r} is not an option letter", where=where)
            tag = (prompt_tags(stem) or ["<region1>"])[0]
            prompts = _tag_masks(mcq.get("segmentations") or {tag: mcq.get("object")}, where)
            samples.append(
                importer.sample(
                    "mcq", entry.get("image_name"), where, (j,), id=mcq.get("id"), question=stem,
                    prompts=[{"tag": t, "mask": m} for t, m in prompts.items()],
                    options=options, answer=OPTION_LETTERS.index(answer),
                )
            )  # fmt: skip
    for i, entry in _records(importer.load_json(VRES_FILE), f"{folder / VRES_FILE}, item"):
        where = f"{folder / VRES_FILE}, item {i}"
        segmentations = _tag_masks(entry.get("segmentations") or {}, where)
        question, answer = str(entry.get("question", "")), str(entry.get("answer", ""))
        missing = [t for t in prompt_tags(question) + prompt_tags(answer) if t not in segmentations]
        if missing:
            raise SourceError(f"tags {missing} have no entry in 'segmentations'", where=where)
        data, height, width = importer.image(entry.get("image_name"), where)
        targets = [check_rle(segmentations[t], (height, width), where) for t in prompt_tags(answer)]
        samples.append(
            importer.sample(
                "vt_res", entry.get("image_name"), where, (i,), id=entry.get("id"),
                question=question, targets=targets,
                prompts=[{"tag": t, "mask": segmentations[t]} for t in prompt_tags(question)],
            )
        )  # fmt: skip
    if not samples:
        raise ReleaseError(
            f"no STBench files ({CAPTION_FILE}, {MCQ_FILE}, {VRES_FILE}) found", where=str(folder)
        )
    return samples


def _tag_masks(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourceError("'segmentations' must be an object of tag: RLE", where=where)
    return value


def _records(items: Any, where: str) -> list[tuple[int, dict[str, Any]]]:
    """``(index, item)`` of a JSON list of objects; SourceError naming the first that is not."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise SourceError(
            f"must be a JSON list of objects, got {type(items).__name__}", where=where
        )
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise SourceError(
                f"must be a JSON object, got {type(item).__name__} {str(item)[:40]!r}",
                where=f"{where} {index}",
            )
    return list(enumerate(items))


def _split_options(question: str, where: str) -> tuple[str, list[str]]:
    stem_lines, options = [], []
    for line in question.splitlines():
        match = OPTION_LINE.match(line.strip())
        if match and len(options) == len(OPTION_LETTERS):
            raise SourceError(
                f"more than {len(OPTION_LETTERS)} option lines (A-{OPTION_LETTERS[-1]})",
                where=where,
            )
        if match and match.group(1) == OPTION_LETTERS[len(options)]:
            options.append(match.group(2).strip())
        elif options and line.strip():
            raise SourceError(f"text after the options: {line!r}", where=where)
        elif not options:
            stem_lines.append(line)
    if len(options) < 2:
        raise SourceError("question lists fewer than two 'A. option' lines", where=where)
    return "\n".join(stem_lines).strip(), options
