import cv2
import numpy as np

from service.core.follow import ObjectFlow


def _scene(rng: np.random.Generator, h: int = 240, w: int = 320) -> np.ndarray:
    return cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 1.5)


def test_an_object_moving_on_its_own_is_followed_where_it_is():
    """A textured patch walks 3 px right and 2 px down a frame over a still, textured background: each
    step moves its box by that much, not by the background's (zero) motion."""
    rng = np.random.default_rng(0)
    background, patch = _scene(rng), _scene(rng, 30, 30)
    flow = ObjectFlow()
    box = (100.0, 80.0, 130.0, 110.0)
    for t in range(6):
        frame = background.copy()
        x, y = 100 + 3 * t, 80 + 2 * t
        frame[y:y + 30, x:x + 30] = patch
        steps = flow.step(frame, [box] if t else [])
        if t:
            assert steps[0] is not None
            assert np.abs(steps[0][:2, 2] - (3, 2)).max() < 0.5, steps[0]
            box = (box[0] + 3, box[1] + 2, box[2] + 3, box[3] + 2)


def test_a_box_with_nothing_to_follow_is_not_followed():
    """Flat grey holds no corner to follow: no step is guessed (the tracker falls back to the camera)."""
    flow = ObjectFlow()
    flat = np.full((120, 160, 3), 128, np.uint8)
    flow.step(flat, [])
    assert flow.step(flat, [(40.0, 40.0, 80.0, 80.0)]) == [None]


def test_the_first_frame_and_a_new_size_follow_nothing():
    rng = np.random.default_rng(1)
    flow = ObjectFlow()
    assert flow.step(_scene(rng), [(10.0, 10.0, 40.0, 40.0)]) == [None]
    assert flow.step(_scene(rng, 120, 160), [(10.0, 10.0, 40.0, 40.0)]) == [None]


def test_an_object_is_followed_back_into_the_frames_kept():
    """The grey copies of the last ``keep`` frames stay: a box in frame t is followed into t - 1 by the
    object's own move; older frames are let go."""
    rng = np.random.default_rng(2)
    background, patch = _scene(rng), _scene(rng, 30, 30)
    flow = ObjectFlow(keep=3)
    for t in range(6):
        frame = background.copy()
        frame[80 + 2 * t:110 + 2 * t, 100 + 3 * t:130 + 3 * t] = patch
        flow.step(frame, [], t)
    step = flow.back(5, [(115.0, 90.0, 145.0, 120.0)])[0]
    assert step is not None and np.abs(step[:2, 2] - (-3, -2)).max() < 0.5, step
    assert flow.back(3, [(109.0, 86.0, 139.0, 116.0)]) == [None]  # frame 2 is no longer kept
