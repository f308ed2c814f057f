"""scripts/export_times.py on a tiny model directory: both exports timed, the float graph profiled."""

import importlib.util
import json
import sys

from tests.conftest import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("export_times", ROOT / "scripts" / "export_times.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_times_each_export_and_lists_the_slowest_nodes(tiny_models_dir, tmp_path, monkeypatch):
    out = tmp_path / "times.json"
    model = tiny_models_dir / "faces-unet"
    monkeypatch.setattr(sys, "argv", ["export_times.py", str(model), "--size", "64", "--batch", "2",
                                      "--threads", "1", "--runs", "2", "--nodes", "3", "--json", str(out)])
    _script().main()
    report = json.loads(out.read_text())
    exports = {p.name for p in model.glob("model*.onnx")}
    assert "model.onnx" in exports and set(report["exports"]) == exports
    for times in report["exports"].values():
        # each figure is rounded on its own, so they agree to the last place
        assert times["ms_per_run"] > 0 and abs(times["ms_per_item"] - times["ms_per_run"] / 2) <= 0.01
    nodes = report["slowest_nodes"]
    assert len(nodes) == 3 and all(0 < n["share"] <= 1 for n in nodes)
    assert [n["share"] for n in nodes] == sorted((n["share"] for n in nodes), reverse=True)
    assert not list(tmp_path.glob("profile*"))  # the profile is written to a temporary folder only
