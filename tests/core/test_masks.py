from dataclasses import replace

import numpy as np
import pytest

from service.core.masks import Shape, alpha, apply_ignore, grow, paint, region_detections
from service.geometry import Detection


def square(x1=40, y1=40, x2=60, y2=60, cls="faces") -> Detection:
    return Detection(cls, 0.9, (x1, y1, x2, y2), np.ones((y2 - y1, x2 - x1), bool))


def test_grow_adds_pixels_and_percent_of_size():
    d = grow(square(), pixels=2, percent=10, width=100, height=100)  # 2 + 10 % of 20 = 4 px
    m = paint([d], (100, 100))
    assert m[50, 36] and not m[50, 35]
    assert m[63, 50] and not m[64, 50]


def test_grow_is_clipped_to_the_frame():
    d = grow(square(0, 0, 10, 10), 5, 0, 12, 12)
    assert d.box == (0, 0, 12, 12) and d.mask.shape == (12, 12)


@pytest.mark.parametrize("pixels", [0, 3, 30])  # none, the kernel and the distance growth
def test_grow_keeps_what_a_verifier_said_of_the_object(pixels):
    doubted = replace(square(cls="plates"), sure=False, doubt=True)
    grown = grow(doubted, pixels, 0, 100, 100)
    assert not grown.sure and grown.doubt and grown.cls == "plates"


def test_regions_boxes_and_polygons():
    shapes = [Shape.parse([0, 0, 10, 10]), Shape.parse([[50, 50], [70, 50], [60, 70]])]
    dets = region_detections(shapes, (100, 100))
    m = paint(dets, (100, 100))
    assert m[5, 5] and m[55, 60] and not m[90, 90]
    assert all(d.cls == "region" for d in dets)
    with pytest.raises(ValueError):
        Shape.parse([[1, 2], [3, 4]])


def test_ignore_wins_over_detections():
    dets = apply_ignore([square()], [Shape.parse([40, 40, 50, 60])], (100, 100))
    m = paint(dets, (100, 100))
    assert not m[45, 45] and m[45, 55]
    assert apply_ignore([square()], [Shape.parse([0, 0, 100, 100])], (100, 100)) == []


def test_feather_never_weakens_masked_pixels():
    m = np.zeros((50, 50), bool)
    m[20:30, 20:30] = True
    a = alpha(m, 4)
    assert np.all(a[m] == 1.0)
    assert 0 < a[25, 17] < 1 and a[25, 5] < 0.01


def test_large_growth_covers_the_elliptical_dilation_and_little_more():
    import cv2

    rng = np.random.default_rng(0)
    mask = rng.random((40, 60)) > 0.7
    det = Detection("faces", 0.9, (100, 100, 160, 140), mask)
    for radius in (5, 17, 40):
        grown = grow(det, radius, 0.0, 400, 400)
        local = np.zeros((grown.box[3] - grown.box[1], grown.box[2] - grown.box[0]), np.uint8)
        local[radius:radius + 40, radius:radius + 60] = mask
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        reference = cv2.dilate(local, kernel) > 0
        assert not (reference & ~grown.mask).any()  # never smaller: fail closed
        assert grown.mask.sum() <= reference.sum() * 1.05


def test_large_growth_keeps_every_pixel_the_exact_growth_would_and_little_more():
    """Radii from COARSE_RADIUS on are measured on blocks: a superset of the exact Euclidean growth,
    at most 2√2·f px wider."""
    import cv2

    from service.core.masks import COARSE_RADIUS, _within

    rng = np.random.default_rng(0)
    for _ in range(60):
        size, radius = int(rng.integers(8, 120)), int(rng.integers(COARSE_RADIUS, 6 * COARSE_RADIUS))
        local = np.zeros((size + 2 * radius, size + 2 * radius), np.uint8)
        centre = (radius + size // 2, radius + size // 2)
        cv2.ellipse(local, centre, (max(1, size // 2 - 1), max(1, size // 3)), float(rng.integers(180)),
                    0, 360, 1, -1)
        local[rng.integers(radius, radius + size), rng.integers(radius, radius + size)] = 1  # a lone pixel
        dist = cv2.distanceTransform((local == 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        got = _within(local, radius)
        assert not ((dist <= radius + 0.5) & ~got).any()
        f = radius // COARSE_RADIUS
        assert not (got & (dist > radius + 0.5 + 2 * np.sqrt(2) * f + 1)).any()


def test_timed_shapes_parse_and_say_when_they_hold():
    timed = Shape.parse({"shape": [0, 0, 4, 4], "from": 1, "to": 2.5})
    assert timed.is_box and timed.active(1) and timed.active(2.5) and not timed.active(0.9)
    assert Shape.parse({"shape": [[0, 0], [4, 0], [4, 4]], "from": 3}).active(1e5)
    assert Shape.parse([0, 0, 4, 4]).active(0)
    for bad in ({"shape": [0, 0, 4, 4], "from": 2, "to": 1}, {"shape": [0, 0, 4, 4], "from": "1"},
                {"shape": [0, 0, 4, 4], "from": True}, {"shape": [0, 0, 4, 4], "when": 1}, {"from": 1},
                {"shape": [0, 0, 4, 4], "at": -1}):
        with pytest.raises((ValueError, KeyError)):
            Shape.parse(bad)
