"""int8 is served only where its arithmetic is exact on the CPU; /readyz-level precision per model."""

import json
import logging

import numpy as np

from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.precision import has_vnni, int8_is_exact, serve_int8
from tests.inference.test_model_files import _quantized_copy

AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
VNNI = AVX2 | {"avx512f", "avx512_vnni"}


def test_seven_bit_weights_are_exact_everywhere_eight_bit_only_with_vnni():
    assert has_vnni(VNNI) and not has_vnni(AVX2) and has_vnni(AVX2 | {"avx_vnni"})
    assert int8_is_exact({"weight_bits": 7}, AVX2) and int8_is_exact({"weight_bits": 7}, VNNI)
    assert int8_is_exact({"weight_bits": 8}, VNNI) and not int8_is_exact({"weight_bits": 8}, AVX2)
    assert not int8_is_exact({}, AVX2)  # an export that does not say is taken for 8-bit
    assert not int8_is_exact(None, VNNI)


def test_an_eight_bit_export_falls_back_to_float_with_one_warning(tmp_path, caplog):
    int8 = tmp_path / "model.int8.onnx"
    int8.write_bytes(b"x")
    with caplog.at_level(logging.WARNING, logger="veil.models"):
        assert not serve_int8("plates-unet", int8, {"weight_bits": 8}, AVX2)
        assert serve_int8("plates-unet", int8, {"weight_bits": 8}, VNNI)
        assert serve_int8("plates-unet", int8, {"weight_bits": 7}, AVX2)
    assert [r.getMessage() for r in caplog.records] == [
        "plates-unet: its int8 export has 8-bit weights and this CPU has no VNNI; serving the float model"]
    assert not serve_int8("plates-unet", tmp_path / "absent.onnx", {"weight_bits": 7}, VNNI)


def test_quantize_writes_seven_bit_exports_and_the_engine_reports_its_precision(tiny_models_dir, tmp_path,
                                                                                monkeypatch):
    from service.inference import precision

    plates = [{"plates": [[10, 10, 40, 20]]}] * 2
    model_dir = _quantized_copy(tiny_models_dir, tmp_path, "plates-unet", plates)
    cfg = json.loads((model_dir / "config.json").read_text())
    assert cfg["int8"]["weight_bits"] == 7 and "7 bits" in cfg["int8"]["format"]
    monkeypatch.setattr(precision, "cpu_flags", lambda: AVX2)
    int8 = make_engine(Compute("cpu", "onnx", 1, int8=True), model_dir)
    assert int8.precision == "int8" and int8.source.endswith("model.int8.onnx")
    cfg["int8"]["weight_bits"] = 8  # as an older export would be
    (model_dir / "config.json").write_text(json.dumps(cfg))
    fallback = make_engine(Compute("cpu", "onnx", 1, int8=True), model_dir)
    assert fallback.precision == "fp32" and fallback.source.endswith("model.onnx")
    x = np.zeros((1, 3, 64, 64), np.float32)
    assert fallback.run(x).shape == int8.run(x).shape


def test_the_model_set_reports_every_model_precision(tiny_models):
    precisions = tiny_models.precisions()
    assert set(precisions) >= {"face-detector", "face-finder", "plate-verifier", "plates-unet",
                               "plate-shapes-deeplabv3plus", "faces-unet"}
    assert set(precisions.values()) <= {"int8", "fp32", "fp16"}
