"""The core's layout, read from its source: no import cycle, arrows only downwards, no Streamlit,
no oversized file or class.

Every import counts, a function's own included: an import moved into a function to dodge a cycle is
still a cycle. The checks are plain functions over a folder, so the tests below also show that each
of them fails on a small tree built to break it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "indicators"

# Lower layers never import higher ones. A module of one layer may import its own layer's modules
# and every lower layer's. Modules directly under indicators/ (the package itself, __main__, demo)
# come last.
LAYERS = ["domain", "storage", "metrics", "ingest", "render", "views", "cli"]
TOP = len(LAYERS)
NO_STREAMLIT = True  # nothing under indicators/ may import it (pages/ and app.py do)
MAX_FILE_LINES = 700
MAX_CLASS_LINES = 400


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def core_modules(root: Path = CORE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module of `known` that the file at `path` (module `name`) imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from package import module` names a module; `from module import name` does not
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rsplit(".", 1)[0]  # `import a.b.c` of a non-module attribute
            if target in known or target.split(".")[0] == "streamlit":
                found.add(target)
    found.discard(name)
    return found


def import_graph(root: Path = CORE) -> dict[str, set[str]]:
    modules = core_modules(root)
    known = set(modules)
    return {name: imports_of(path, name, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return TOP


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{source} ({LAYERS[layer(source)] if layer(source) < TOP else 'top'}) imports {target}"
        for source, targets in graph.items()
        for target in targets
        if target in graph and layer(target) > layer(source)
    )


def streamlit_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{s} imports {t}" for s, targets in graph.items() for t in targets if t.startswith("streamlit"))


def oversized(root: Path = CORE) -> list[str]:
    problems = []
    for name, path in core_modules(root).items():
        text = path.read_text()
        lines = len(text.splitlines())
        if lines > MAX_FILE_LINES:
            problems.append(f"{name}: {lines} lines (at most {MAX_FILE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_CLASS_LINES:
                    problems.append(f"{name}.{node.name}: {length} lines (at most {MAX_CLASS_LINES})")
    return problems


# --- the product's own tree ----------------------------------------------------------------------


def test_the_core_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_imports_go_down_the_layers_only():
    assert upward_imports(import_graph()) == []


def test_the_core_never_imports_streamlit():
    assert streamlit_imports(import_graph()) == []


def test_no_file_or_class_of_the_core_is_oversized():
    assert oversized() == []


def test_every_layer_is_a_package_that_says_what_it_holds():
    for name in LAYERS:
        init = CORE / name / "__init__.py"
        assert init.exists(), name
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and "import" in doc.lower(), f"{name}/__init__.py should say what lives there and what it imports"


def test_the_graph_sees_the_real_imports():
    graph = import_graph()
    assert "indicators.domain.catalog" in graph["indicators.ingest.columns"]
    assert any(t.startswith("indicators.storage") for t in graph["indicators.ingest.demo"])
    assert all(layer(m) < TOP for m in graph if m.count(".") > 1)


# --- each check fails on a tree that breaks it ---------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "indicators"
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "storage/store.py": "def tasks():\n    from indicators.domain.tasks import Task\n",
            "domain/tasks.py": "def load():\n    from ..storage import store\n",
        },
    )
    graph = import_graph(root)
    assert cycles(graph) == [["indicators.domain.tasks", "indicators.storage.store"]]
    assert upward_imports(graph) == ["indicators.domain.tasks (domain) imports indicators.storage.store"]


def test_an_upward_import_and_streamlit_are_found(tmp_path):
    root = _tree(
        tmp_path,
        {
            "metrics/rollups.py": "import streamlit as st\nfrom indicators.views import overview\n",
            "views/overview.py": "from indicators.metrics.rollups import x\n",
        },
    )
    graph = import_graph(root)
    assert upward_imports(graph) == ["indicators.metrics.rollups (metrics) imports indicators.views.overview"]
    assert streamlit_imports(graph) == ["indicators.metrics.rollups imports streamlit"]
    assert cycles(graph) == [["indicators.metrics.rollups", "indicators.views.overview"]]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x = 1\n" * (MAX_FILE_LINES + 1), f"{MAX_FILE_LINES + 1} lines"),
        ("class Big:\n" + "    x = 1\n" * MAX_CLASS_LINES, f"Big: {MAX_CLASS_LINES + 1} lines"),
    ],
)
def test_an_oversized_file_or_class_is_found(tmp_path, text, problem):
    root = _tree(tmp_path, {"domain/big.py": text})
    assert [p for p in oversized(root) if problem in p]
