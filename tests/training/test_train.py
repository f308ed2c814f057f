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


def test_a_finder_with_a_shallower_narrower_decoder_keeps_the_encoder_only_when_distilled():
    import pytest
    import torch

    from service.errors import ConfigurationError
    from service.inference.architectures import build_model
    from service.training.train import FRESH_ALLOWED, fitted
    from tests.conftest import tiny_config

    full = build_model(tiny_config("plates", "unet"))
    light = build_model({**tiny_config("plates", "unet"), "decoder_channels": [8, 8, 8, 8],
                         "output_stride": 4})
    assert light(torch.zeros(1, 3, 64, 96)).shape == (1, 1, 64, 96)  # the encoder stops at 1/16
    with pytest.raises(ConfigurationError, match="does not fit"):
        fitted(dict(full.state_dict()), light)  # trained on labels, a new decoder is a wrong --init
    state, fresh = fitted(dict(full.state_dict()), light, (*FRESH_ALLOWED, "decoder."))
    assert fresh and all(k.startswith(("decoder.", "segmentation_head.")) for k in fresh)
    assert all(k in state for k in light.state_dict() if k.startswith("encoder."))


def test_the_distillation_loss_is_least_where_the_student_answers_as_the_teacher():
    import torch

    from service.training.train import distillation_loss

    teacher = torch.full((2, 1, 8, 8), 0.02)
    teacher[:, :, 2:4, 3:7] = 0.9  # a plate, and a faint false alarm the student is to copy too
    teacher[1, :, 6, 6] = 0.4
    exact = torch.logit(teacher)
    losses = [distillation_loss(exact + shift, teacher).item() for shift in (-1.0, 0.0, 1.0)]
    assert losses[1] < losses[0] and losses[1] < losses[2]
    assert distillation_loss(exact, teacher) < distillation_loss(torch.full_like(exact, -5.0), teacher)

