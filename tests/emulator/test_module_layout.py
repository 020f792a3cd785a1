"""The emulator's modules import each other without a cycle and without one-letter aliases,
and every route lives in the resource module of its Looker resource."""

import ast
import pathlib

from restoration.emulator import resources
from restoration.emulator.app import ROUTES

PACKAGE = pathlib.Path(resources.__file__).resolve().parent.parent
PACKAGE_NAME = "restoration.emulator"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE_NAME, *parts])


def _imports(path: pathlib.Path) -> tuple[set[str], list[str]]:
    """The emulator modules `path` imports at run time, and its one-letter aliases."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    aliases: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import | ast.ImportFrom):
            aliases += [a.asname for a in node.names if a.asname and len(a.asname) == 1]
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if not base.startswith(PACKAGE_NAME):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE_NAME)}
    return found, aliases


def _exists(module: str) -> bool:
    relative = module[len(PACKAGE_NAME) + 1 :].replace(".", "/")
    return (PACKAGE / f"{relative}.py").exists() or (PACKAGE / relative / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        graph[_module_name(path)] = _imports(path)[0]
    # Importing a module runs its package's __init__ first; that edge is not a cycle.
    return {m: {i for i in imports if not m.startswith(i + ".")} for m, imports in graph.items()}


def test_no_import_cycle_between_emulator_modules():
    graph = _graph()
    state: dict[str, str] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_one_letter_module_aliases():
    offenders = {str(p.relative_to(PACKAGE)): _imports(p)[1] for p in PACKAGE.rglob("*.py")}
    assert {p: a for p, a in offenders.items() if a} == {}


def test_every_route_lives_in_a_resource_module():
    outside = [
        r.operation
        for r in ROUTES
        if not r.handler.__module__.startswith(f"{PACKAGE_NAME}.resources.")
    ]
    assert outside == []
    assert len(ROUTES) == len({(r.verb, r.template) for r in ROUTES})
