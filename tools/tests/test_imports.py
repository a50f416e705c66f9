"""The package's import graph has no cycles, and no module reaches into
another module's private names: what two modules share lives in a third."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
PACKAGES = [TOOLS / "opsbundle", TOOLS / "testcloud"]


def _module(path: Path) -> str:
    parts = list(path.relative_to(TOOLS).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(root: Path) -> dict[str, list[tuple[str, str]]]:
    """module -> [(imported module, imported name)], lazy imports included."""
    modules = {_module(p): p for p in root.rglob("*.py")}
    graph: dict[str, list[tuple[str, str]]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                edges.append((sub, "") if sub in modules else (target, alias.name))
        graph[name] = edges
    return graph


@pytest.mark.parametrize("root", PACKAGES, ids=lambda p: p.name)
def test_no_import_cycles(root):
    graph = {m: {t for t, _ in edges if t != m} for m, edges in _imports(root).items()}
    cycles = set()

    def visit(node, path):
        for nxt in graph.get(node, ()):
            if nxt in path:
                cycles.add(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif len(path) < 12:
                visit(nxt, path + [nxt])

    for module in graph:
        visit(module, [module])
    assert not cycles, "\n".join(sorted(cycles))


@pytest.mark.parametrize("root", PACKAGES, ids=lambda p: p.name)
def test_no_private_names_across_modules(root):
    reaching = [
        f"{module} imports {name} from {target}"
        for module, edges in _imports(root).items()
        for target, name in edges
        if name.startswith("_") and not name.startswith("__") and target != module
    ]
    assert not reaching, "\n".join(reaching)
