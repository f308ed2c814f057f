import json

import numpy as np
import pytest

from service.errors import ConfigurationError
from service.inference.architectures import build_model
from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.model_files import load_torch_model, read_config
from tests.conftest import models_without, tiny_config

CPU_ONNX = Compute("cpu", "onnx", 1)
CPU_TORCH = Compute("cpu", "torch", 1)


@pytest.mark.parametrize("arch", ["unet", "deeplabv3plus"])
def test_saved_model_loads_and_engines_agree(tiny_models_dir, arch):
    model_dir = tiny_models_dir / f"plate-shapes-{arch}"
    assert read_config(model_dir)["architecture"] == arch
    _, cfg = load_torch_model(model_dir)
    assert cfg["role"] == "plate-shapes"
    x = np.random.default_rng(0).normal(size=(2, 3, 96, 128)).astype(np.float32)
    a = make_engine(CPU_ONNX, model_dir).run(x)
    b = make_engine(CPU_TORCH, model_dir).run(x)
    assert a.shape == (2, 1, 96, 128)
    assert np.abs(a - b).max() < 1e-3


def test_unknown_architecture_lists_the_valid_ones():
    with pytest.raises(ConfigurationError, match="deeplabv3plus, unet"):
        build_model({**tiny_config("faces", "unet"), "architecture": "fpn"})


def test_missing_files_fail_loudly(tmp_path, tiny_models_dir):
    with pytest.raises(ConfigurationError):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(tiny_config("faces", "unet")))
    with pytest.raises(ConfigurationError):
        load_torch_model(tmp_path)
    with pytest.raises(ConfigurationError):
        make_engine(CPU_ONNX, tmp_path)
    with pytest.raises(ConfigurationError):
        make_engine(Compute("cpu", "tensorrt", 1), tmp_path)


def test_the_face_finder_is_required_unless_turned_off(tmp_path, tiny_models_dir):
    import shutil

    from service.inference.registry import load_models

    models_without(tiny_models_dir, tmp_path, "face-finder", "face-detector")
    with pytest.raises(ConfigurationError, match="face detector missing"):  # CenterFace is required too
        load_models(tmp_path, ("unet",), CPU_ONNX, face_finder=False)
    shutil.copytree(tiny_models_dir / "face-detector", tmp_path / "face-detector")
    with pytest.raises(ConfigurationError, match="face-finder"):
        load_models(tmp_path, ("unet",), CPU_ONNX)
    assert load_models(tmp_path, ("unet",), CPU_ONNX, face_finder=False).face_finder is None
    shutil.copytree(tiny_models_dir / "plates-unet", tmp_path / "face-finder")
    with pytest.raises(ConfigurationError, match="not a face-finder model"):
        load_models(tmp_path, ("unet",), CPU_ONNX)


def test_every_backend_shapes_what_the_one_plate_finder_finds(tmp_path, tiny_models_dir):
    """Detection is shared, as for faces: both backends hold the same plate finder (loaded once, from
    ``models/plates-unet``) and their own shaper; without that finder nothing starts."""
    from service.inference.registry import PLATE_FINDER, load_models

    models = load_models(tiny_models_dir, ("unet", "deeplabv3plus"), CPU_ONNX)
    unet, dlv3 = models.backends["unet"], models.backends["deeplabv3plus"]
    assert unet.plates is dlv3.plates and unet.plates.cfg["architecture"] == "unet"
    assert unet.plate_shapes is not dlv3.plate_shapes
    assert dlv3.plate_shapes.cfg["architecture"] == "deeplabv3plus"
    assert PLATE_FINDER in models.precisions()
    models_without(tiny_models_dir, tmp_path, PLATE_FINDER)
    with pytest.raises(ConfigurationError, match=PLATE_FINDER):
        load_models(tmp_path, ("deeplabv3plus",), CPU_ONNX)


def _quantized_copy(tiny_models_dir, tmp_path, name: str, objects: list[dict]):
    """A copy of a tiny model quantized on generated noise images, one per entry of ``objects``."""
    import shutil

    import cv2

    from service.training.quantize import quantize

    model_dir = tmp_path / name
    shutil.copytree(tiny_models_dir / name, model_dir)
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i, annotated in enumerate(objects):
        cv2.imwrite(str(data / f"{i}.jpg"), rng.integers(0, 255, (90, 120, 3), dtype=np.uint8))
        rows.append(json.dumps({"image": f"{i}.jpg", "width": 120, "height": 90, "split": "train",
                                **annotated}))
    (data / "annotations.jsonl").write_text("\n".join(rows) + "\n")
    quantize(model_dir, [data], images=len(objects))
    return model_dir


def test_int8_export_is_served_only_when_asked_and_stays_close(tiny_models_dir, tmp_path):
    plates = [{"plates": [[10, 10, 40, 20]]}] * 4
    model_dir = _quantized_copy(tiny_models_dir, tmp_path, "plates-unet", plates)
    assert (model_dir / "model.int8.onnx").is_file() and read_config(model_dir)["int8"]["images"] == 4
    x = np.random.default_rng(1).normal(size=(1, 3, 64, 96)).astype(np.float32)
    fp32 = make_engine(CPU_ONNX, model_dir)
    int8 = make_engine(Compute("cpu", "onnx", 1, int8=True), model_dir)
    assert fp32.source.endswith("model.onnx")
    assert int8.source.endswith("model.int8.onnx")
    a, b = fp32.run(x), int8.run(x)
    assert a.shape == b.shape and np.abs(a - b).mean() < 0.1 * np.abs(a).mean() + 0.05


def test_crop_models_are_calibrated_on_crops_around_annotated_objects(tiny_models_dir, tmp_path):
    # an image with nothing annotated gives no crop
    objects = [{"faces": []}, {"faces": [[20, 20, 50, 60]]}, {"faces": [[30, 10, 60, 50]]}]
    model_dir = _quantized_copy(tiny_models_dir, tmp_path, "faces-unet", objects)
    assert read_config(model_dir)["int8"]["images"] == 3
    int8 = make_engine(Compute("cpu", "onnx", 1, int8=True), model_dir)
    x = np.random.default_rng(1).normal(size=(2, 3, 64, 64)).astype(np.float32)
    a, b = make_engine(CPU_ONNX, model_dir).run(x), int8.run(x)
    assert int8.source.endswith("model.int8.onnx") and a.shape == b.shape
    assert np.abs(a - b).mean() < 0.1 * np.abs(a).mean() + 0.05


def test_onnx_sessions_do_not_spin_their_threads(tiny_models_dir):
    # idle pools that spin steal the few cores from the next model of the same frame
    engine = make_engine(CPU_ONNX, tiny_models_dir / "plates-unet")
    assert engine.session.get_session_options().get_session_config_entry(
        "session.intra_op.allow_spinning") == "0"


def test_the_face_finder_work_size_ablation_reaches_the_pipeline(tiny_models_dir, monkeypatch):
    from service.config import Ablation, Settings
    from service.core.pipeline import face_proposals

    monkeypatch.setenv("VEIL_MODELS_DIR", str(tiny_models_dir))
    models = Settings().load_models(("unet",), Ablation(face_finder_work_size=384))
    assert models.face_finder_work_size == 384
    seen = []
    real = models.face_finder.probabilities
    monkeypatch.setattr(models.face_finder, "probabilities",
                        lambda frames, work_size=None: seen.append(work_size) or real(frames, work_size))
    face_proposals(models, [np.zeros((240, 320, 3), np.uint8)], 0.3)
    assert seen == [384]


@pytest.mark.parametrize("stride", [2, 4])
def test_a_finder_with_coarse_logits_answers_at_full_size_in_both_engines(tmp_path, stride):
    import torch

    from service.inference.model_files import save_model_dir

    torch.manual_seed(0)
    cfg = {**tiny_config("plates", "unet"), "output_stride": stride}
    model = build_model(cfg).eval()
    assert len(model.decoder.blocks) == 5 - (stride.bit_length() - 1)
    save_model_dir(model, cfg, tmp_path / "finder")
    x = np.random.default_rng(1).normal(size=(1, 3, 96, 160)).astype(np.float32)
    a = make_engine(CPU_ONNX, tmp_path / "finder").run(x)
    b = make_engine(CPU_TORCH, tmp_path / "finder").run(x)
    assert a.shape == (1, 1, 96, 160)
    assert np.abs(a - b).max() < 1e-3


@pytest.mark.parametrize("stride", [3, 32])
def test_an_output_stride_the_decoder_cannot_give_is_refused(stride):
    with pytest.raises(ConfigurationError, match="output_stride"):
        build_model({**tiny_config("plates", "unet"), "output_stride": stride})
