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
