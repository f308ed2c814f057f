"""Plates partly hidden: one side of each plate covered, the truth reduced to what is left."""

from pathlib import Path

import numpy as np

from service.datasets import Record
from service.evaluation.occlusion import _band, occluded, visible
from service.evaluation.runner import ground_truth

QUAD = np.float32([[40, 20], [80, 20], [80, 40], [40, 40]])  # 40 × 20 px


def test_band_covers_the_share_from_its_side_and_reaches_past_the_plate():
    assert _band(QUAD, "top", 0.3, 200, 100) == (20, 10, 100, 26)
    assert _band(QUAD, "right", 0.25, 200, 100) == (70, 10, 100, 50)
    assert _band(QUAD, "left", 0.5, 60, 100) == (20, 10, 60, 50)  # clipped to the image


def test_each_plate_keeps_the_rest_of_itself_visible_and_the_cover_is_real_content():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (100, 200, 3), np.uint8)
    record = Record(Path("car.jpg"), 200, 100, plates=[QUAD])
    out, hidden = occluded(rgb, record, 0.3)
    again, same = occluded(rgb, record, 0.3)
    assert (out == again).all() and (hidden == same).all()  # seeded by the file name
    assert (out[~hidden] == rgb[~hidden]).all()
    assert (out[hidden] == np.roll(rgb, (50, 100), axis=(0, 1))[hidden]).all()
    (plate,), _, _ = ground_truth(record, "plates")
    (left,) = visible([plate], hidden)
    area = int(plate.sum())
    assert 0.6 * area <= int(left.sum()) <= 0.75 * area  # 0.3 of one side gone (pixel rounding aside)
    assert not (left & hidden).any()
