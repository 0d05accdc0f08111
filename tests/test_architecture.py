"""The package's architecture, checked: no import cycle, and arrows only point down the layers.

The import graph is read from the source with ``ast``: an import at module level (also inside a
class body or a ``try``) runs when the module is imported; one under ``if TYPE_CHECKING:`` never
runs; one inside a function is lazy and runs only when the function is called. The cycle and layer
tests look at the import-time arrows; the lazy ones are listed by ``test_lazy_imports_point_down``.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivrules import Book
from tests.conftest import AGREEMENTS, ANTIBIOTICS_COURSE

PACKAGE = Path(__file__).resolve().parent.parent / "ivrules"

# Bottom to top. A module may import from its own layer or a layer below it, never above.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ground", ("ivrules.source", "ivrules.errors", "ivrules.danish")),
    ("lang", ("ivrules.lang",)),
    ("model", ("ivrules.model",)),
    ("engine", ("ivrules.engine",)),
    # The package root is the public facade over the core: load, Book, Quote, parse_rule, ...
    ("facade", ("ivrules",)),
    ("money", ("ivrules.money",)),
    ("diff", ("ivrules.diff",)),
    ("site", ("ivrules.site",)),
    ("web", ("ivrules.web",)),
    ("lsp", ("ivrules.lsp",)),  # the editors' language server, a front end like web
    ("cli", ("ivrules.cli",)),
]

# Import-time arrows that point up today, as (importer, imported module). Each is a known debt with
# the change that removes it; delete the line when that change lands. The list may only shrink.
KNOWN_UPWARD: set[tuple[str, str]] = set()  # none left: keep it empty


@dataclass(frozen=True)
class Arrow:
    importer: str
    imported: str
    line: int
    lazy: bool

    def __str__(self) -> str:
        where = f"{MODULES[self.importer].relative_to(PACKAGE.parent)}:{self.line}"
        return f"{where}: {self.importer} -> {self.imported}{' (lazy)' if self.lazy else ''}"


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package is named by its folder)."""
    out: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(body: list[ast.stmt], lazy: bool) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement that may import, with whether it runs lazily (inside a function)."""
    for stmt in body:
        yield stmt, lazy
        if isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
            yield from _statements(stmt.orelse, lazy)
            continue
        inner = lazy or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                yield from _statements([s for s in block if isinstance(s, ast.stmt)], inner)
        for handler in getattr(stmt, "handlers", []):
            yield from _statements(handler.body, inner)


def _package_of(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _targets(module: str, stmt: ast.stmt) -> list[str]:
    """The ivrules modules one import statement loads."""
    if isinstance(stmt, ast.Import):
        return [a.name for a in stmt.names if a.name.split(".")[0] == "ivrules"]
    if not isinstance(stmt, ast.ImportFrom):
        return []
    base = stmt.module or ""
    if stmt.level:
        anchor = _package_of(module).split(".")
        anchor = anchor[: len(anchor) - stmt.level + 1]
        base = ".".join([*anchor, base]) if base else ".".join(anchor)
    if base.split(".")[0] != "ivrules":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in stmt.names]


def arrows() -> list[Arrow]:
    """Every import of one ivrules module by another, import-time and lazy."""
    out: dict[Arrow, None] = {}  # ordered and without repeats
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for stmt, lazy in _statements(tree.body, False):
            for target in _targets(module, stmt):
                if target != module:
                    out[Arrow(module, target, stmt.lineno, lazy)] = None
    return list(out)


ARROWS = arrows()


def layer_of(module: str) -> int:
    """The index in LAYERS of the most specific prefix that holds the module."""
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    return rank


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that starts and ends at the same module, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def upward(lazy: bool) -> list[Arrow]:
    return [a for a in ARROWS if a.lazy is lazy and layer_of(a.imported) > layer_of(a.importer)]


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer_of(m) < 0] == []


def test_the_graph_is_read() -> None:
    # Guards the walker: a parser change that found no arrows would pass every test below.
    assert ("ivrules.lang.compiler", "ivrules.lang.nodes", False) in {(a.importer, a.imported, a.lazy) for a in ARROWS}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for arrow in ARROWS:
        if not arrow.lazy:
            graph.setdefault(arrow.importer, set()).add(arrow.imported)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_import_time_arrows_point_down() -> None:
    found = upward(lazy=False)
    new = [str(a) for a in found if (a.importer, a.imported) not in KNOWN_UPWARD]
    assert new == [], "imports from a higher layer:\n" + "\n".join(new)


def test_known_upward_list_only_shrinks() -> None:
    found = {(a.importer, a.imported) for a in upward(lazy=False)}
    gone = sorted(KNOWN_UPWARD - found)
    assert gone == [], f"fixed, remove from KNOWN_UPWARD: {gone}"


def test_lazy_imports_point_down(capsys: pytest.CaptureFixture[str]) -> None:
    lazy = [a for a in ARROWS if a.lazy]
    with capsys.disabled():
        if os.environ.get("IVRULES_SHOW_LAZY"):
            print("\nlazy imports:\n" + "\n".join(map(str, lazy)))
    bad = [str(a) for a in upward(lazy=True) if (a.importer, a.imported) not in KNOWN_UPWARD]
    assert bad == [], "lazy imports from a higher layer:\n" + "\n".join(bad)


def imported_by(module: str) -> set[str]:
    """The ivrules modules a fresh interpreter holds after importing one module."""
    code = f"import sys, {module}; print('\\n'.join(m for m in sys.modules if m.startswith('ivrules')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=PACKAGE.parent)
    return set(done.stdout.split())


def test_the_cds_cards_do_not_load_diff_or_money() -> None:
    loaded = imported_by("ivrules.web.cds.cards")
    assert "ivrules.web.cds.cards" in loaded
    assert sorted(m for m in loaded if m.startswith(("ivrules.diff", "ivrules.money"))) == []


# ---------------------------------------------------------------- the core installs without the front ends

FRONT_ENDS = ("fastapi", "uvicorn", "typer", "tqdm", "hypothesis", "mkdocs", "matplotlib", "jwt", "fhir")
TARIFF_COURSE = {"start_date": "2021-06-01", "end_date": "2021-06-07", "municipality": "Aarhus",
                 "municipality_joined": True,  # Midtjylland's register names no municipality (issue 11)
                 "treatment": "antibiotics", "system": "codan_mix_add", "doses_per_day": 3}
CORE_USE = """
import importlib.util, json, sys
from pathlib import Path
import ivrules
from ivrules.diff.revisions import diff, resolve_pair
agreements = Path(sys.argv[1])
book = ivrules.load(agreements)
course, priced = json.loads(sys.argv[2]), json.loads(sys.argv[3])
old, new = resolve_pair("midtjylland@2020-06-01", "midtjylland@2021-05-01", agreements)
print(json.dumps({
    "package": ivrules.__file__,
    "eligible": book.eligibility("midtjylland", course).eligible,
    "total": str(book.tariff("midtjylland", priced).total),
    "changes": len(diff(old, new, search=0).changes),
    "importable": [m for m in sys.argv[4:] if importlib.util.find_spec(m) is not None],
}))
"""


def _install_core(tmp: Path) -> Path:
    """A fresh virtual environment with the package installed from a copy of its source, no extras."""
    source = tmp / "src"  # a copy: building writes build/ and *.egg-info next to pyproject.toml
    shutil.copytree(PACKAGE, source / "ivrules", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PACKAGE.parent / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp / "venv"], check=True)
    python = tmp / "venv" / "bin" / "python"
    # This interpreter's pip installs into the new one (pip --python): no pip bootstrap per run.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", source],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return python


@pytest.mark.skipif(not (os.environ.get("CI") == "true" or os.environ.get("IVRULES_INSTALL_TEST")),
                    reason="installs into a fresh venv (about 15 s): runs in CI or with IVRULES_INSTALL_TEST=1")
def test_the_core_installs_and_answers_without_the_front_ends(tmp_path: Path, book: Book) -> None:
    python = _install_core(tmp_path)
    done = subprocess.run([python, "-c", CORE_USE, AGREEMENTS, json.dumps(ANTIBIOTICS_COURSE),
                           json.dumps(TARIFF_COURSE), *FRONT_ENDS], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["package"].startswith(str(tmp_path / "venv"))  # the installed copy, not the source tree
    assert answer["eligible"] is True is book.eligibility("midtjylland", ANTIBIOTICS_COURSE).eligible
    assert answer["total"] == str(book.tariff("midtjylland", TARIFF_COURSE).total) != "None"
    assert answer["changes"] > 0
    assert answer["importable"] == []
    # The command line is an extra: without it the console script says how to get it, in Danish.
    command = subprocess.run([python.parent / "ivrules", "check"], capture_output=True, text=True, timeout=60)
    assert command.returncode == 1
    assert "pip install 'ivrules[cli]'" in command.stderr and "Traceback" not in command.stderr


# --- small pieces ------------------------------------------------------------------------------------------

LONGEST = 40  # lines, decorators and docstring included
P95 = 20


def function_lengths() -> list[tuple[int, str]]:
    """Every function and method of the package: (lines, 'file:line name'), longest first."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                out.append((node.end_lineno - first + 1, f"{path.relative_to(PACKAGE.parent)}:{first} {node.name}"))
    return sorted(out, reverse=True)


def test_functions_are_small() -> None:
    lengths = function_lengths()
    assert [f"{n} lines: {where}" for n, where in lengths if n > LONGEST] == []
    sizes = sorted(n for n, _ in lengths)
    assert sizes[int(0.95 * len(sizes))] <= P95
