import numpy as np

from service.inference.segmenters import PlateFinder


class _FixedMap(PlateFinder):
    """The finder's post-processing over a known probability map (what the model would output)."""

    def __init__(self, prob: np.ndarray, cfg: dict) -> None:
        super().__init__(engine=None, cfg=cfg)
        self.prob = prob

    def probability(self, rgb, work_size=None):
        return self.prob, 1.0


def _plate_map() -> np.ndarray:
    prob = np.zeros((60, 100), np.float32)
    prob[18:42, 18:82] = 0.4  # soft rim
    prob[20:40, 20:80] = 0.9  # the plate
    return prob


def test_plate_shape_at_a_stricter_threshold_keeps_the_detection_and_drops_the_rim():
    rgb = np.zeros((60, 100, 3), np.uint8)
    loose = _FixedMap(_plate_map(), {}).find(rgb, 0.3)
    tight = _FixedMap(_plate_map(), {"shape_threshold": 0.5}).find(rgb, 0.3)
    assert len(loose) == len(tight) == 1
    assert loose[0].box == (18, 18, 82, 42) and loose[0].mask.all()
    t = tight[0]
    covered = np.zeros((60, 100), bool)
    covered[t.box[1]:t.box[3], t.box[0]:t.box[2]] = t.mask
    assert covered[20:40, 20:80].all() and covered.sum() < loose[0].mask.sum()


def test_a_weak_blob_under_the_shape_threshold_keeps_its_whole_mask():
    prob = np.zeros((60, 100), np.float32)
    prob[20:40, 20:80] = 0.4  # found at 0.3, never above 0.5: shaped at the detection threshold
    (found,) = _FixedMap(prob, {"shape_threshold": 0.5}).find(np.zeros((60, 100, 3), np.uint8), 0.3)
    assert found.mask.sum() == 20 * 60


def _street():
    import cv2

    from tests.conftest import FIXTURES, fixture_faces

    name, boxes = next(iter(fixture_faces().items()))
    return cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB), boxes


def test_a_low_confidence_proposal_is_kept_on_a_face_and_dropped_on_a_wall(default_models):
    rgb, boxes = _street()
    refiner = default_models.backend("unet").faces
    x1, y1, x2, y2 = boxes[0]
    wall = np.full((200, 200, 3), 128, np.uint8)
    weak = np.float32([[x1, y1, x2, y2, 0.2]])
    assert len(refiner.refine(rgb, weak, confirm_below=0.3)) == 1  # the crop model sees the face
    flat = np.float32([[60, 60, 120, 130, 0.2]])
    assert refiner.refine(wall, flat, confirm_below=0.3) == []
    # a confident proposal is never dropped: nothing found there still masks its ellipse (fail closed)
    (kept,) = refiner.refine(wall, np.float32([[60, 60, 120, 130, 0.9]]), confirm_below=0.3)
    assert kept.mask.sum() > 0.7 * np.pi * 30 * 35
