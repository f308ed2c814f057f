import cv2
import numpy as np
import pytest

from service.core import motion
from service.core.masks import paint
from service.core.motion import CameraMotion
from service.geometry import Detection


def scene(h=480, w=800, seed=0):
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 2)


def view(img, dx=0.0, dy=0.0, scale=1.0, size=(320, 240)):
    """The camera's picture of ``img``: content shifted by (dx, dy) and zoomed about the centre."""
    w, h = size
    cx, cy = img.shape[1] / 2, img.shape[0] / 2
    m = np.float32([[scale, 0, w / 2 - scale * cx + dx], [0, scale, h / 2 - scale * cy + dy]])
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR), np.vstack([m, [0, 0, 1]])


@pytest.mark.parametrize("dx,dy,scale", [(6.0, -3.0, 1.0), (0.0, 0.0, 1.04), (-11.0, 4.0, 0.97)])
def test_camera_motion_recovers_shift_and_zoom(dx, dy, scale):
    img = scene()
    a, ma = view(img)
    b, mb = view(img, dx, dy, scale)
    cam = CameraMotion()
    assert cam.step(a) is None  # nothing to compare the first frame with
    got = cam.step(b)
    truth = mb @ np.linalg.inv(ma)
    probe = np.array([[20.0, 30.0, 1.0], [300.0, 200.0, 1.0]])
    assert np.abs(probe @ got.T - probe @ truth.T).max() < 0.5


def test_camera_motion_is_unknown_on_a_blank_picture():
    cam = CameraMotion()
    flat = np.full((240, 320, 3), 90, np.uint8)
    cam.step(flat)
    assert cam.step(flat) is None


def test_move_maps_the_mask_and_cuts_it_to_the_frame():
    det = Detection("faces", 0.9, (10, 10, 30, 20), np.ones((10, 20), bool))
    shift = np.array([[1.0, 0, 100], [0, 1.0, 5], [0, 0, 1]])
    moved = motion.move(det, shift, 200, 100)
    assert moved.box == (110, 15, 130, 25) and moved.mask.all()
    half_out = motion.move(det, np.array([[2.0, 0, 160], [0, 2.0, 0], [0, 0, 1]]), 200, 100)
    assert half_out.box == (180, 20, 200, 40)  # 40 px wide after the zoom, 20 of them inside
    assert paint([half_out], (100, 200))[20:40, 180:200].all()
    assert motion.move(det, np.array([[1.0, 0, 500], [0, 1.0, 0], [0, 0, 1]]), 200, 100) is None


@pytest.mark.parametrize("shape", [(2, 2, 3), (8, 8, 3), (1, 200, 3), (3000, 40, 3)])
def test_camera_motion_copes_with_tiny_and_odd_frames(shape):
    """It runs on every decoded frame: an odd size gives an unknown (or measured) motion, never an error."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, shape, dtype=np.uint8)
    cam = CameraMotion()
    cam.step(frame)
    got = cam.step(np.roll(frame, 1, axis=1))
    assert got is None or got.shape == (3, 3)


def test_an_object_cut_by_the_frame_edge_is_covered_as_it_comes_in():
    """A face whose left part is outside the frame (seen: 12 px of it at the edge), then moved 20 px
    inward: the part that came in is covered, along the rows the face spans at the edge."""
    mask = np.zeros((30, 12), bool)
    mask[5:25, :10] = True
    det = Detection("faces", 0.9, (0, 40, 12, 70), mask)
    grown = motion.beyond_edges(det, 200, 100)
    assert grown.box == (-30, 40, 12, 70)  # continued by its own size (30 px) past the left edge
    moved = motion.move(grown, np.array([[1.0, 0, 20], [0, 1.0, 0], [0, 0, 1]]), 200, 100)
    painted = paint([moved], (100, 200))
    assert painted[45:65, 0:30].all()  # what came in from outside
    assert not painted[40:45].any() and not painted[65:70].any()  # rows the face does not span
    assert motion.move(grown, motion.IDENTITY, 200, 100).box == det.box  # unmoved: nothing added
    inside = Detection("faces", 0.9, (50, 40, 62, 70), mask)
    assert motion.beyond_edges(inside, 200, 100) is inside
