import numpy as np
from deface.deface import anonymize_frame

from service.evaluation.deface_baseline import deface_mask


def test_the_mask_is_exactly_what_deface_itself_blurs():
    """deface's own drawing code on a noise frame: the pixels it changes lie in our mask, and our mask
    holds nothing it leaves alone (boxes inside, cut by the edges, and tiny)."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (120, 160, 3), np.uint8)
    dets = np.float32([[30, 20, 70, 80, 0.9], [-15, 90, 25, 140, 0.5], [140, 5, 175, 40, 0.3],
                       [100, 60, 104, 63, 0.25]])
    out = frame.copy()
    anonymize_frame(dets, out, mask_scale=1.3, replacewith="blur", ellipse=True, draw_scores=False,
                    replaceimg=None, mosaicsize=20)
    changed = (out != frame).any(axis=2)
    mask = deface_mask(dets, frame.shape[:2])
    assert changed.sum() > 2000
    assert not (changed & ~mask).any()
    assert (mask & ~changed).sum() <= 0.01 * mask.sum()  # blurred noise rarely equals the original
