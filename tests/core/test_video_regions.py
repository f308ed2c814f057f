"""Caller regions over a video's frames: a region drawn on a frame follows its object from there on;
one without ``at`` stays where it was drawn."""

import numpy as np

from service.core.masks import Shape
from service.core.video_regions import VideoRegions


def frames(n=20, step=4):
    """A textured 32 px square moving right ``step`` px per frame over a smooth background."""
    rng = np.random.default_rng(0)
    patch = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    out = []
    for i in range(n):
        yy, xx = np.mgrid[0:120, 0:200]
        rgb = np.dstack([xx, yy, (xx + yy) // 2]).astype(np.uint8)
        x = 20 + i * step
        rgb[40:72, x:x + 32] = patch
        out.append((rgb, x))
    return out


def covered(dets, x):
    mask = np.zeros((120, 200), bool)
    for d in dets:
        x1, y1, x2, y2 = d.box
        mask[y1:y2, x1:x2] |= d.mask
    return mask[44:68, x + 4:x + 28].mean()


def test_a_region_drawn_on_a_frame_follows_its_object_from_there():
    clip = frames()
    drawn_at = 5  # drawn on frame 5, where the square is at x = 40
    x5 = clip[drawn_at][1]
    follow = VideoRegions([Shape.parse({"shape": [x5 - 2, 38, x5 + 34, 74], "from": 0, "at": drawn_at / 30})],
                          200, 120, 30)
    fixed = VideoRegions([Shape.parse({"shape": [x5 - 2, 38, x5 + 34, 74], "from": 0})], 200, 120, 30)
    for t, (rgb, x) in enumerate(clip):
        followed, still = follow.at_frame(t, rgb), fixed.at_frame(t, rgb)
        if t >= drawn_at:
            assert covered(followed, x) > 0.95, t  # the square, wherever it went
        if t == drawn_at:
            assert covered(still, x) > 0.95
    assert covered(still, clip[-1][1]) < 0.2  # the unfollowed region stayed where it was drawn


def test_timed_regions_hold_only_in_their_range():
    regions = VideoRegions([Shape.parse({"shape": [0, 0, 10, 10], "from": 1, "to": 2})], 50, 50, 10)
    blank = np.zeros((50, 50, 3), np.uint8)
    held = [bool(regions.at_frame(t, blank)) for t in range(30)]
    assert held == [10 <= t <= 20 for t in range(30)]
