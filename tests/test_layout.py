"""The library's layout, as DESIGN.md and index/__init__.py describe it: one package per stage, data
flowing one way.  Read from the source (every import, those inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from index.config import ROOT

LIBRARY = ROOT / "index"
# Lowest first: a module may import its own layer and those before it, never one after it.
LAYERS = [("index.records", "index.errors", "index.config"), ("index.text",), ("index.embed",), ("index.ingest",),
          ("index.search",), ("index.figures",), ("index.limits",), ("index.store",), ("index.citation", "index.export"),
          ("index.facade",), ("index.eval",)]
MAX_MODULE_LINES = 500
MAX_TOP_LEVEL_MODULES = 8


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports absolutely, anywhere in it (inside functions too), as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


LIBRARY_MODULES = {module_name(path): path for path in sources(LIBRARY)}


def test_the_library_imports_absolutely():
    """So every import in it names the stage it comes from (and this file can check the flow)."""
    relative = [path.relative_to(ROOT) for path in LIBRARY_MODULES.values()
                if any(isinstance(node, ast.ImportFrom) and node.level
                       for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))))]
    assert not relative


def library_imports(path: Path) -> set[str]:
    return {name for name in imported_modules(path) if name in LIBRARY_MODULES}


def layer_of(module: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) if any(module == p or module.startswith(p + ".") for p in layer))


@pytest.mark.parametrize("module", sorted(LIBRARY_MODULES))
def test_no_module_imports_a_later_layer(module):
    later = [name for name in library_imports(LIBRARY_MODULES[module]) if layer_of(name) > layer_of(module)]
    assert not later, f"{module} imports {later}, which come after it in the flow"


def test_no_import_cycles():
    graph = {module: library_imports(path) - {module} for module, path in LIBRARY_MODULES.items()}
    visiting, done = [], set()

    def visit(module: str) -> None:
        if module in visiting:
            pytest.fail("import cycle: " + " -> ".join(visiting[visiting.index(module):] + [module]))
        if module in done:
            return
        visiting.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_modules_are_small_and_the_top_level_is_a_few():
    long = {module: n for module, path in LIBRARY_MODULES.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long
    assert len(list(LIBRARY.glob("*.py"))) <= MAX_TOP_LEVEL_MODULES
    assert all((package / "__init__.py").read_text(encoding="utf-8").strip().startswith('"""')
               for package in LIBRARY.iterdir() if package.is_dir() and package.name != "__pycache__")


@pytest.mark.parametrize("folder", ["webapp", "scripts"])
def test_the_app_and_the_scripts_use_the_library_only_through_its_door(folder):
    """The web app imports only index.facade; the scripts also the tooling built on it (index.eval, bench)."""
    allowed = ("index.facade",) if folder == "webapp" else ("index.facade", "index.eval", "bench")
    for path in sources(ROOT / folder):
        reached = {name for name in imported_modules(path) if name == "index" or name.startswith("index.")
                   or name.startswith("bench")}
        past = [name for name in reached if not any(name == a or name.startswith(a + ".") for a in allowed)]
        assert not past, f"{path.relative_to(ROOT)} reaches past the facade: {past}"


def test_the_facade_exports_at_most_thirty_names():
    import index.facade

    assert len(index.facade.__all__) <= 30
    assert all(hasattr(index.facade, name) for name in index.facade.__all__)
