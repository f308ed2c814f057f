"""Properties of regions, ignore areas and redaction, for any image and any shapes (hypothesis):
`fill` sets every pixel inside a region, no mode touches a pixel outside the regions, and ignore wins."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from service.core.masks import Shape, apply_ignore, paint, region_detections
from service.core.redaction import MODES, redact


@st.composite
def scenes(draw):
    h, w = draw(st.integers(4, 48)), draw(st.integers(4, 48))
    seed = draw(st.integers(0, 2**32 - 1))
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)

    def shape():
        if draw(st.booleans()):
            x1, y1 = draw(st.integers(-8, w)), draw(st.integers(-8, h))
            return Shape.parse([x1, y1, x1 + draw(st.integers(1, w + 8)), y1 + draw(st.integers(1, h + 8))])
        n = draw(st.integers(3, 7))
        return Shape.parse([[draw(st.integers(-4, w + 4)), draw(st.integers(-4, h + 4))] for _ in range(n)])

    regions = [shape() for _ in range(draw(st.integers(1, 4)))]
    ignore = [shape() for _ in range(draw(st.integers(0, 2)))]
    return rgb, regions, ignore


@settings(max_examples=150, deadline=None)
@given(scenes(), st.sampled_from(sorted(MODES)), st.tuples(*[st.integers(0, 255)] * 3))
def test_redaction_changes_exactly_the_regions_minus_ignore(scene, mode, colour):
    rgb, regions, ignore = scene
    shape = rgb.shape[:2]
    dets = apply_ignore(region_detections(regions, shape), ignore, shape)
    out = redact(rgb, dets, mode, colour=colour)
    inside = np.logical_or.reduce([r.rasterise(shape) for r in regions])
    ignored = np.logical_or.reduce([s.rasterise(shape) for s in ignore]) if ignore else np.zeros(shape, bool)
    covered = paint(dets, shape)
    assert np.array_equal(covered, inside & ~ignored)  # the mask is the regions, minus ignore areas
    assert np.array_equal(out[~covered], rgb[~covered])  # nothing outside it changes, in any mode
    if mode == "fill":
        assert (out[covered] == np.array(colour, np.uint8)).all()  # and fill sets every pixel in it
    assert out.shape == rgb.shape and out.dtype == np.uint8
