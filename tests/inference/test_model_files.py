import json

import numpy as np
import pytest

from service.errors import ConfigurationError
from service.inference.architectures import build_model
from service.inference.devices import Runtime
from service.inference.engines import make_engine
from service.inference.model_files import load_torch_model, read_config
from tests.conftest import tiny_config

CPU_ONNX = Runtime("cpu", "onnx", 1)
CPU_TORCH = Runtime("cpu", "torch", 1)


@pytest.mark.parametrize("arch", ["unet", "deeplabv3plus"])
def test_saved_model_loads_and_engines_agree(tiny_models_dir, arch):
    model_dir = tiny_models_dir / f"plates-{arch}"
    assert read_config(model_dir)["architecture"] == arch
    _, cfg = load_torch_model(model_dir)
    assert cfg["role"] == "plates"
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
        make_engine(Runtime("cpu", "tensorrt", 1), tmp_path)
