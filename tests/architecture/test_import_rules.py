"""Import direction rules (OTP RaptorArchitectureTest in spirit), checked on the source with ast."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path, module_level_only: bool = False) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved); with
    ``module_level_only``, only the imports run when the module is imported (not those inside
    functions, which load on first call)."""
    tree = ast.parse(path.read_text())
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in (_module_level(tree) if module_level_only else ast.walk(tree)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def _module_level(tree: ast.Module):
    """Nodes executed at import: the module body and its if/try/with blocks, not functions,
    methods or ``if TYPE_CHECKING:`` blocks."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                todo.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            todo.extend(node.body)


def _files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def _violations(files, forbidden):
    bad = []
    for f in files:
        for name in _imports(f):
            if any(name == p or name.startswith(p + ".") for p in forbidden):
                bad.append(f"{f.relative_to(ROOT)} imports {name}")
    return bad


def test_loaders_know_nothing_of_query_time():
    assert not _violations(_files("engine/loaders"), ["engine.raptor", "engine.geocoder", "engine._core",
                                                      "engine.api", "engine.bundle.reader"])


# ---------------------------------------------------------------- query side vs build side
#: Modules that only build a bundle (loaders, builders, writer, build-time kernels).
BUILD_SIDE = [
    "engine.loaders", "engine.build", "engine.bundle.writer", "engine._streets_build", "engine._chains",
    "engine.timetable.build", "engine.timetable.footpaths", "engine.timetable.staging",
    "engine.streets.build", "engine.streets.ch", "engine.streets.footpaths", "engine.streets.graph_build",
    "engine.streets.junctions", "engine.streets.profiles",
    "engine.geocoder.build", "engine.geocoder.dictionary", "engine.geocoder.index_build",
]
#: Package facades that offer both sides (their build entry points are imported lazily).
_FACADES = {"__init__.py", "__main__.py"}


def _query_side(folder: str) -> list[Path]:
    """The modules of ``folder`` that answer queries: every module but the build side's."""
    return [f for f in _files(folder) if f.name not in _FACADES and not _is_build(f)]


def _is_build(path: Path) -> bool:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return any(name == b or name.startswith(b + ".") for b in BUILD_SIDE)


def _engine_query_side() -> list[Path]:
    """Everything on the request path except engine/raptor/ and engine/api.py (see below)."""
    files = [ROOT / "engine/timetable/model.py", ROOT / "engine/timetable/departures.py"]
    files += _query_side("engine/streets") + _query_side("engine/geocoder")
    files += [ROOT / "engine" / f for f in ("_geo.py", "_types.py", "errors.py", "limits.py", "map_layers.py")]
    return files


def _planner_files() -> list[Path]:
    return _files("engine/raptor") + [ROOT / "engine/api.py"]


def test_query_side_never_imports_build_side():
    """Queries never load build code: a kernel or a check needed by both sides lives in a leaf
    (engine._geo, engine._types, streets.options, streets.locations, geocoder.normalize)."""
    assert not _violations(_engine_query_side(), BUILD_SIDE)


def test_planner_never_imports_loaders_or_builders():
    assert not _violations(_planner_files(), ["engine.loaders", "engine.bundle.writer", "engine.timetable.build",
                                              "engine.build"])


def test_planner_never_imports_build_side():
    """raptor/ and api.py take geography from engine._geo, never from timetable.footpaths."""
    assert not _violations(_planner_files(), BUILD_SIDE)


def _import_time_closure(files) -> dict[str, str]:
    """Engine modules loaded by importing ``files`` (module-level imports, followed through the
    engine): module -> the first module found importing it."""
    seen: dict[str, str] = {}
    todo = [(f, ".".join(f.relative_to(ROOT).with_suffix("").parts)) for f in files]
    while todo:
        path, name = todo.pop()
        for mod in _imports(path, module_level_only=True):
            target = _module_file(mod)
            if target is None or mod in seen:
                continue
            seen[mod] = name
            todo.append((target, mod))
    return seen


def _module_file(mod: str) -> Path | None:
    if not mod.startswith("engine"):
        return None
    base = ROOT.joinpath(*mod.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_query_side_loads_no_build_code_at_import():
    """The same rule through every module the query side loads, not only its own imports."""
    loaded = _import_time_closure(_engine_query_side() + _planner_files())
    bad = [f"{mod} (imported by {by})" for mod, by in loaded.items() if _is_build(ROOT.joinpath(*mod.split(".")))]
    assert not bad


# ---------------------------------------------------------------- engine and server
def test_engine_never_imports_server():
    """The library does not depend on its HTTP app: `brique serve` is added by server.cli."""
    assert not _violations(sorted((ROOT / "engine").rglob("*.py")), ["server"])


@pytest.mark.skipif(not (ROOT / "server").is_dir(), reason="no server package")
def test_server_never_imports_numpy():
    """The server maps engine results to JSON; array work happens in the engine."""
    assert not _violations(_files("server"), ["numpy", "pyarrow"])


def test_schema_is_a_leaf():
    names = _imports(ROOT / "engine/bundle/schema.py")
    leaves = ("engine._types", "engine.bundle.version")
    assert not [n for n in names if n.startswith("engine") and not n.startswith(leaves)]
    assert not [n for n in _imports(ROOT / "engine/bundle/version.py") if n.startswith("engine")]


def test_geo_is_a_leaf():
    """engine._geo: geography and coordinate checks for both sides, depending on nothing else."""
    names = _imports(ROOT / "engine/_geo.py")
    assert not [n for n in names if n.startswith("engine") and not n.startswith(("engine._types", "engine.errors"))]


def test_query_side_never_imports_a_jit():
    """Every loop that answers a request is compiled at install (issue 9): no numba in the engine."""
    files = sorted((ROOT / "engine").rglob("*.py")) + sorted((ROOT / "server").rglob("*.py"))
    assert not _violations(files, ["numba"])


#: Engine modules the server may import besides the public names (``engine.__all__``), and why.
SERVER_EXTRA_ENGINE_IMPORTS = {
    "engine.cli": "the brique command, which server.cli extends with `serve`",
    "engine.bundle.manifest": "read_manifest: the light bundle check before workers start (no pyarrow)",
}


@pytest.mark.skipif(not (ROOT / "server").is_dir(), reason="no server package")
def test_server_uses_only_the_public_engine_api():
    import engine

    allowed = {"engine"} | {f"engine.{a}" for a in engine.__all__}
    bad = []
    for f in _files("server"):
        for name in _imports(f):
            if not name.startswith("engine"):
                continue
            if name in allowed or any(name == m or name.startswith(m + ".") for m in SERVER_EXTRA_ENGINE_IMPORTS):
                continue
            bad.append(f"{f.relative_to(ROOT)} imports {name}")
    assert not bad


def test_server_draws_maps_through_network():
    """/v1/network calls Network.map_layers (a one-line delegation in engine/api.py)."""
    assert not _violations(_files("server"), ["engine.map_layers"])
