"""Fuzz every public entry point of ``perbench.masks`` (run as a script, in a child process).

Usage: ``python tests/core/mask_fuzz.py EXAMPLES LAST_INPUT_FILE [ENTRY ...]``

Each entry point gets ``EXAMPLES`` hypothesis examples: random bytes, ints, polygons, RLE dicts
(random, near-valid and valid). A ``MaskError`` is the only accepted failure; any other exception
fails with exit 1, and a crash in C code (SIGSEGV, abort) kills the process, which the calling
test sees. Before each call the input is written to LAST_INPUT_FILE so a crash can be replayed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from perbench import masks
from perbench.errors import MaskError
from perbench.mask_checks import runs_to_counts

BIG = 2**40
ints = st.one_of(st.integers(-3, 70), st.integers(-BIG, BIG))
sizes = st.one_of(
    st.lists(ints, min_size=0, max_size=3),
    st.tuples(st.integers(1, 12), st.integers(1, 12)).map(list),
    st.just("3x3"),
    st.none(),
)
alphabet_text = st.text(alphabet=[chr(c) for c in range(48, 112)], max_size=40)
counts = st.one_of(
    alphabet_text,
    st.text(max_size=20),
    st.binary(max_size=40),
    st.lists(ints, max_size=20),
    ints,
    st.none(),
)
random_rle = st.fixed_dictionaries({"size": sizes, "counts": counts})


@st.composite
def near_valid_rle(draw) -> dict:
    """Runs with zeros, negatives and off-by-one totals around a small size."""
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    runs = draw(st.lists(st.integers(-2, 20), min_size=0, max_size=30))
    if draw(st.booleans()) and runs:
        runs[-1] += height * width - sum(runs)
    as_list = draw(st.booleans())
    return {"size": [height, width], "counts": runs if as_list else runs_to_counts(runs)}


@st.composite
def valid_rle(draw, height: int = 6, width: int = 7) -> dict:
    mask = draw(arrays(np.uint8, (height, width), elements=st.integers(0, 1)))
    return masks.encode(mask)


rles = st.one_of(random_rle, near_valid_rle(), valid_rle())
coordinates = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-50, 50),
    st.integers(-BIG, BIG),
    st.just(1e9),
    st.booleans(),
    st.text(max_size=2),
)
polygons = st.lists(st.lists(coordinates, min_size=0, max_size=12), max_size=4)
mask_objects = st.one_of(rles, polygons, ints, st.none(), st.binary(max_size=20))
dense = arrays(
    st.sampled_from([np.uint8, np.bool_, np.int64, np.float32]),
    st.tuples(st.integers(0, 6), st.integers(0, 6)) | st.tuples(st.integers(0, 3)),
)
png_bytes = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=60).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
)


def _png_file(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=".png", delete=False)
    handle.write(data)
    handle.close()
    return Path(handle.name)


def _read_png(data: bytes) -> None:
    path = _png_file(data)
    try:
        masks.read_png_mask(path, None)
    finally:
        path.unlink()


ENTRIES = {
    "check_rle": (st.tuples(rles), masks.check_rle),
    "to_rle": (st.tuples(mask_objects, ints, ints), masks.to_rle),
    "polygons": (st.tuples(polygons, st.integers(1, 50), st.integers(1, 50)), masks.to_rle),
    "decode": (st.tuples(rles), masks.decode),
    "area": (st.tuples(rles), masks.area),
    "bbox": (st.tuples(rles), masks.bbox),
    "encode": (st.tuples(dense), masks.encode),
    "empty_rle": (st.tuples(ints, ints), masks.empty_rle),
    "full_rle": (st.tuples(ints, ints), masks.full_rle),
    "union_rle": (st.tuples(st.lists(rles, max_size=3), ints, ints), masks.union_rle),
    "intersection_area": (st.tuples(rles, rles), masks.intersection_area),
    "union_area": (st.tuples(rles, rles), masks.union_area),
    "intersection_and_union": (st.tuples(rles, rles), masks.intersection_and_union),
    "iou": (st.tuples(rles, rles), masks.iou),
    "read_png_mask": (st.tuples(png_bytes), _read_png),
}


def fuzz(name: str, examples: int, last_input: Path) -> None:
    strategy, function = ENTRIES[name]

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(args: tuple) -> None:
        last_input.write_text(f"{name}{args!r}"[:100_000])
        try:
            function(*args)
        except MaskError:
            pass

    run()


def main() -> None:
    examples, last_input = int(sys.argv[1]), Path(sys.argv[2])
    for name in sys.argv[3:] or list(ENTRIES):
        print(f"fuzzing {name}", file=sys.stderr, flush=True)
        fuzz(name, examples, last_input)
        print(f"ok {name} {examples}", flush=True)


if __name__ == "__main__":
    main()
