"""The design's layering: the hub imports no outer package, and outer packages never import
each other (DESIGN.md, "The parts"). Checked on the source (every import statement, wherever it
sits) and at run time (importing every hub module loads no outer package)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTER = ("builders", "review_ui", "evaluators", "models", "pipeline_demo")


def imported_packages(path: Path) -> set[str]:
    """Top-level package names that ``path``'s import statements name (relative ones skipped)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def offenders(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & forbidden
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_scan_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from builders.build import x\n    import models.demo\n")
    assert imported_packages(module) == {"builders", "models"}


def test_the_hub_imports_no_outer_package():
    assert offenders("perbench", set(OUTER)) == {}


def test_outer_packages_never_import_each_other():
    for package in OUTER[:-1]:
        assert offenders(package, set(OUTER) - {package}) == {}, package


def test_importing_every_hub_module_loads_no_outer_package():
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "perbench").rglob("*.py")
    )
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {OUTER!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
