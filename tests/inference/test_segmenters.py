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
