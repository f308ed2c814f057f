"""Faces at the frame's side edges, searched between detected frames."""

from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image

from service.core.edge_bands import band_boxes, band_columns, edge_faces
from service.core.masks import paint
from service.core.options import Options
from tests.conftest import FIXTURES, fixture_faces


def _blobs(sizes: list[int]):
    """A detector built in code: one box per bright blob, score 0.9; records the work sizes asked for."""
    def detect(image: np.ndarray, size: int) -> np.ndarray:
        sizes.append(size)
        n, _, stats, _ = cv2.connectedComponentsWithStats((image[..., 0] > 200).astype(np.uint8))
        return np.float32([[x, y, x + w, y + h, 0.9] for x, y, w, h, _ in stats[1:n]]).reshape(-1, 5)
    return detect


def test_only_blobs_the_side_edges_cut_are_kept_in_frame_pixels():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[20:40, 0:10] = 255  # cut by the left edge
    frame[50:70, 190:200] = 255  # cut by the right edge
    frame[70:90, 5:15] = 255  # in the left band, whole
    frame[10:30, 100:120] = 255  # in the middle
    sizes: list[int] = []
    boxes = band_boxes(_blobs(sizes), frame, work_size=100)
    assert sorted(map(tuple, boxes[:, :4].tolist())) == [(0, 20, 10, 40), (190, 50, 200, 70)]
    assert sizes == [50]  # one run at the whole frame's scale (100 / 200): the bands are 100 px tall


@pytest.fixture(scope="module")
def fast_models(default_models):
    return replace(default_models, face_work_size=640, plate_work_size=640)


@pytest.mark.parametrize("visible", [0.3, 0.6])
def test_a_face_the_left_edge_cuts_is_found_and_covered(fast_models, visible):
    """A real face (58 × 74 px) with only ``visible`` of its width in the picture, and the same face
    whole in the middle: the bands return the cut one, covering its visible part, and not the other."""
    name = "street_faces_785.jpg"
    rgb = np.asarray(Image.open(FIXTURES / name).convert("RGB"))
    x1, y1, x2, y2 = (int(v) for v in fixture_faces()[name][0])
    cut = int(x1 + (1 - visible) * (x2 - x1))
    frame = np.full((720, 1280, 3), 120, np.uint8)
    frame[:rgb.shape[0], :rgb.shape[1] - cut] = rgb[:, cut:]
    frame[400:400 + rgb.shape[0], 600:600 + rgb.shape[1]] = rgb
    strong, weak = edge_faces(fast_models, frame, Options(classes=("faces",)), 0.5)
    found = strong + weak
    assert len(found) >= 1 and all(d.box[0] == 0 for d in found)
    truth = np.zeros((720, 1280), bool)
    truth[y1:y2, :x2 - cut] = True
    assert (paint(found, (720, 1280)) & truth).sum() >= 0.8 * truth.sum()  # the leak metric's bar
    assert edge_faces(fast_models, frame, Options(classes=("plates",)), 0.5) == ([], [])


def test_the_band_image_is_the_mirrored_bands_and_is_built_in_the_buffer_given():
    """The gathered band image equals each band mirrored outward by OpenCV's reflection; a buffer of its
    shape is filled, not replaced."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (40, 100, 3), np.uint8)
    _, band, pad = band_columns(40, 100, share=0.2, mirror=0.1)
    reflect = cv2.BORDER_REFLECT_101
    expected = np.concatenate([cv2.copyMakeBorder(frame[:, :band], 0, 0, pad, 0, reflect),
                               cv2.copyMakeBorder(frame[:, 100 - band:], 0, 0, 0, pad, reflect)], axis=1)
    seen = []
    into = np.zeros(expected.shape, np.uint8)
    band_boxes(lambda image, size: seen.append(image) or np.zeros((0, 5), np.float32), frame, 100, 0.2, 0.1,
               into=into)
    assert seen[0] is into and np.array_equal(into, expected)
