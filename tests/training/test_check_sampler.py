"""Training crops for the plate verifier: plates labelled 1, finder mistakes and random windows 0."""

import numpy as np
import torch

from service.inference.architectures import build_model
from service.training.check_sampler import PlateCheckSampler, _random_box
from service.training.train import LOSSES
from tests.training.test_samplers import _records


def test_crops_are_labelled_by_where_they_come_from(tmp_path):
    plates, _ = _records(tmp_path)
    scene = np.full((240, 320, 3), 250, np.uint8)
    sampler = PlateCheckSampler(plates, [scene], {0: [(20.0, 20.0, 80.0, 40.0)]}, size=48)
    rng = np.random.default_rng(0)
    labels = []
    for _ in range(200):
        s = sampler.draw(rng)
        assert s.image.shape == (48, 48, 3) and s.image.dtype == np.uint8 and s.mask.shape == (1, 1)
        labels.append(int(s.mask[0, 0]))
    assert 0.4 < np.mean(labels) < 0.6  # half plates, half negatives
    only_plates = PlateCheckSampler(plates, [], {}, size=48)
    assert all(only_plates.draw(rng).mask[0, 0] == 1 for _ in range(20))


def test_plate_crops_show_the_plate_in_their_middle(tmp_path):
    plates, _ = _records(tmp_path)  # a bright plate at (100, 150)–(200, 175) on noise
    sampler = PlateCheckSampler(plates, [], {}, size=64, jitter=0.0, context=(2.0, 2.0))
    for seed in range(10):
        crop = sampler._crop(sampler.items[0][0], (100.0, 150.0, 200.0, 175.0), np.random.default_rng(seed))
        grey = crop.astype(np.float32).mean(axis=2)
        # the plate fills the middle half of the width and an eighth of the height
        assert grey[29:35, 18:46].mean() > grey[:16].mean() + 5, seed


def test_random_boxes_are_plate_shaped_and_inside_the_image():
    rng = np.random.default_rng(0)
    for _ in range(100):
        x1, y1, x2, y2 = _random_box((240, 320), rng)
        assert 0 <= x1 < x2 <= 320 + 1e-6 and 0 <= y1 < y2 <= 240 + 1e-6
        assert (x2 - x1) >= (y2 - y1)


def test_the_classifier_gives_one_logit_and_trains_on_its_loss():
    model = build_model({"architecture": "classifier", "encoder": "mobilenet_v2"})
    x = torch.zeros(2, 3, 64, 64)
    logits = model(x)
    assert logits.shape == (2, 1)
    target = torch.tensor([1.0, 0.0]).view(2, 1, 1, 1)
    loss = LOSSES["classifier"](logits, target)
    loss.backward()
    assert loss.item() > 0 and model.head[1].weight.grad is not None
