"""The layout's promises, checked on every run: no import loops between our modules, and
no private name (``_x``) used outside the module that defines it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "webapp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


MODULES = _modules()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (never run, so never a loop)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for each of our modules it imports,
    at the top or inside a function alike."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("webapp")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if not base.startswith("webapp"):
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in MODULES:  # ``from package import module``
                    out.append((sub, [], node.lineno))
                else:
                    out.append((base, [a.name], node.lineno))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, _names, _line in _imports(name, path):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_back_through_others():
    assert _loops(_graph()) == []


def test_the_loop_check_finds_a_loop():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _loops(graph) == [["a", "b", "c"]]


def test_no_private_name_is_imported_from_another_module():
    offences = [f"{MODULES[name].relative_to(ROOT)}:{line} takes {n} from {target}"
                for name, path in MODULES.items()
                for target, names, line in _imports(name, path)
                for n in names if n.startswith("_") and not n.startswith("__")]
    assert offences == []


@pytest.mark.parametrize("package", ["webapp.b2b", "webapp.models", "webapp.platform"])
def test_the_domain_models_and_platform_never_reach_up_into_the_web_layer(package):
    web = ("webapp.school", "webapp.la", "webapp.auth.views", "webapp.api", "webapp.admin",
           "webapp.exports.views", "webapp.web", "webapp.cli")
    offences = [f"{name} imports {target}"
                for name, path in MODULES.items() if name.startswith(package)
                for target, _n, _l in _imports(name, path) if target.startswith(web)]
    assert offences == []


def _private_attributes(path: Path) -> list[str]:
    """``module._name`` where ``module`` is one of ours bound by an import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("webapp"):
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES and a.asname:
                    aliases[a.asname] = a.name
    return [f"{path.relative_to(ROOT)}:{n.lineno} uses {aliases[n.value.id]}.{n.attr}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id in aliases and n.attr.startswith("_") and not n.attr.startswith("__")]


def test_no_private_name_of_another_module_is_used_through_it():
    assert [o for p in MODULES.values() for o in _private_attributes(p)] == []
