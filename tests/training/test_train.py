from concurrent.futures import ThreadPoolExecutor

import numpy as np

from service.datasets import Record
from service.training.samplers import PlateSampler, face_ellipses
from service.training.train import draw_batch
from tests.training.test_samplers import _scene


def test_threaded_draws_give_the_same_batch_whatever_the_pool_size(tmp_path):
    rec = Record(_scene(tmp_path / "f.png"), 320, 240, faces=[[40.0, 60.0, 80.0, 110.0]])
    sampler = PlateSampler([rec], [], size=64, objects=face_ellipses)
    batches = []
    for workers in (2, 3):
        with ThreadPoolExecutor(workers) as pool:
            batches.append(draw_batch(sampler, np.random.default_rng(7), 6, pool))
    for a, b in zip(*batches, strict=True):
        assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert not np.array_equal(batches[0][0].image, batches[0][1].image)


def test_a_coarse_finder_starts_from_a_full_one_but_for_its_new_head():
    from service.inference.architectures import build_model
    from service.training.train import fitted
    from tests.conftest import tiny_config

    full = build_model(tiny_config("plates", "unet"))
    coarse = build_model({**tiny_config("plates", "unet"), "output_stride": 4})
    state, fresh = fitted(dict(full.state_dict()), coarse)
    coarse.load_state_dict(state, strict=False)
    assert fresh == ["segmentation_head.0.weight"]  # its bias (one value) carries over
    assert not any(k.startswith(("decoder.blocks.3", "decoder.blocks.4")) for k in state)
    for name, value in coarse.state_dict().items():
        if name not in fresh:
            assert (value == full.state_dict()[name]).all(), name


def test_training_uses_bf16_only_where_it_is_computed_natively():
    from service.training.train import bf16_is_fast

    assert bf16_is_fast("cuda", frozenset())
    assert bf16_is_fast("cpu", frozenset({"avx2", "avx512f", "avx512_bf16"}))
    assert bf16_is_fast("cpu", frozenset({"avx2", "amx_bf16"}))
    assert not bf16_is_fast("cpu", frozenset({"avx2", "fma"}))  # emulated: ~9x slower than float32


def test_an_init_that_does_not_fit_beyond_the_head_is_refused():
    import pytest

    from service.errors import ConfigurationError
    from service.inference.architectures import build_model
    from service.training.train import fitted
    from tests.conftest import tiny_config

    finder = build_model(tiny_config("plates", "unet"))
    other = build_model(tiny_config("plates", "deeplabv3plus"))
    with pytest.raises(ConfigurationError, match="does not fit"):
        fitted(dict(other.state_dict()), finder)
