"""Layers point one way: low modules (geometry, timing, errors) ← media and inference ← core ← jobs ← the
API; only the API knows FastAPI. Read from the source with ``ast``, so a backwards import fails here."""

import ast
from pathlib import Path

from tests.conftest import ROOT

LOW = {"errors", "geometry", "timing"}
ALLOWED = {
    "errors": set(),
    "geometry": set(),
    "timing": set(),
    "media": LOW | {"media"},
    "inference": LOW | {"inference"},
    "core": LOW | {"media", "inference", "core"},
    "jobs": LOW | {"media", "inference", "core", "config", "jobs"},
    "api": LOW | {"media", "inference", "core", "config", "jobs", "api"},
}
WEB = ("fastapi", "starlette", "uvicorn")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _layer(path: Path) -> str:
    rel = path.relative_to(ROOT / "service")
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_every_layer_imports_only_what_lies_below_it():
    wrong = []
    for path in sorted((ROOT / "service").rglob("*.py")):
        layer = _layer(path)
        if layer not in ALLOWED:
            continue  # entry points (cli, bench, evaluation, training) may use everything
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "service" and len(parts) > 1 and parts[1] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            if parts[0] in WEB and layer != "api":
                wrong.append(f"{path.relative_to(ROOT)} imports {name} (only the API knows the web)")
    assert wrong == []


def test_one_name_per_concept():
    from service.api.runtime import Runtime
    from service.inference import devices

    assert Runtime.__module__ == "service.api.runtime"
    assert not hasattr(devices, "Runtime")  # the inference placement is a Compute
