"""Import direction rules (OTP RaptorArchitectureTest in spirit), checked on the source with ast."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = set()
    for node in ast.walk(tree):
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


def test_query_side_never_imports_build_side():
    files = _files("engine/raptor") + [ROOT / "engine/api.py", ROOT / "engine/timetable/model.py"]
    assert not _violations(files, ["engine.loaders", "engine.bundle.writer", "engine.timetable.build"])


def test_schema_is_a_leaf():
    names = _imports(ROOT / "engine/bundle/schema.py")
    leaves = ("engine._types", "engine.bundle.version")
    assert not [n for n in names if n.startswith("engine") and not n.startswith(leaves)]
    assert not [n for n in _imports(ROOT / "engine/bundle/version.py") if n.startswith("engine")]


def test_query_side_never_imports_a_jit():
    """Every loop that answers a request is compiled at install (issue 9): no numba in the engine."""
    files = sorted((ROOT / "engine").rglob("*.py")) + sorted((ROOT / "server").rglob("*.py"))
    assert not _violations(files, ["numba"])


@pytest.mark.skipif(not (ROOT / "server").is_dir(), reason="no server package")
def test_server_uses_only_the_public_engine_api():
    allowed = {"engine", "engine.errors"}
    bad = []
    for f in _files("server"):
        for name in _imports(f):
            if name.startswith("engine") and name not in allowed and not any(
                    name == f"engine.{a}" for a in __import__("engine").__all__):
                bad.append(f"{f.relative_to(ROOT)} imports {name}")
    assert not bad
