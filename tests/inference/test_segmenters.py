import cv2
import numpy as np

from service.inference.engines import Engine
from service.inference.segmenters import PlateFinder, fit_to_work_size


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


class _Plate(Engine):
    """An engine whose crop output is a known plate rectangle (logits), whatever the pixels."""

    def __init__(self, rows: slice, cols: slice) -> None:
        self.rows, self.cols = rows, cols

    def run(self, batch):
        out = np.full((len(batch), 1, *batch.shape[2:]), -10.0, np.float32)
        out[:, 0, self.rows, self.cols] = 10.0
        return out


def _shaper(rows: slice, cols: slice):
    from service.inference.segmenters import PlateShaper

    return PlateShaper(_Plate(rows, cols), {"input_size": 64, "context": 2.0, "mean": [0, 0, 0],
                                             "std": [1, 1, 1]})


def _coarse(box=(40, 40, 80, 50), score=0.9):
    from service.geometry import Detection

    x1, y1, x2, y2 = box
    return Detection("plates", score, box, np.ones((y2 - y1, x2 - x1), bool))


def test_the_shaper_replaces_the_finders_mask_with_its_own_tight_one():
    # a 40 × 10 box at context 2 → an 80-px window (x 20..100, y 5..85) seen at 64 px: 1.25 px per crop px;
    # crop rows 28..34, cols 16..48 → image rows 40..47.5, cols 40..80 (the finder had rows 40..50)
    (det,) = _shaper(slice(28, 34), slice(16, 48)).refine(np.zeros((120, 140, 3), np.uint8), [_coarse()])
    x1, y1, x2, y2 = det.box
    assert 39 <= y1 <= 41 and 46 <= y2 <= 49 and 39 <= x1 <= 41 and 79 <= x2 <= 81
    assert det.mask.mean() > 0.9 and det.score == 0.9


def test_where_the_shaper_disagrees_the_finders_mask_stays():
    rgb = np.zeros((120, 140, 3), np.uint8)
    for rows, cols in ((slice(0, 6), slice(0, 6)),  # a plate far from the found one
                       (slice(0, 0), slice(0, 0))):  # nothing
        (det,) = _shaper(rows, cols).refine(rgb, [_coarse()])
        assert det.box == (40, 40, 80, 50) and det.mask.all()


def test_only_a_sure_plate_may_grow_to_its_shaped_size():
    # crop rows 24..40 → image rows 35..55: twice the found plate's 10 rows (a fragment made whole)
    rgb = np.zeros((120, 140, 3), np.uint8)
    (sure,) = _shaper(slice(24, 40), slice(16, 48)).refine(rgb, [_coarse(score=0.9)])
    assert sure.mask.sum() > 1.5 * 400
    (unsure,) = _shaper(slice(24, 40), slice(16, 48)).refine(rgb, [_coarse(score=0.4)])
    assert unsure.box == (40, 40, 80, 50) and unsure.mask.all()  # a speck stays a speck


def test_a_shaper_window_smaller_than_the_plate_is_refused():
    import pytest

    from service.errors import ConfigurationError
    from service.inference.segmenters import PlateShaper

    with pytest.raises(ConfigurationError):
        PlateShaper(_Plate(slice(0, 1), slice(0, 1)), {"context": 0.8})


class _Logits(Engine):
    """An engine whose full-frame output is a fixed logit map."""

    def __init__(self, logits: np.ndarray) -> None:
        self.logits = logits

    def run(self, batch):
        return np.broadcast_to(self.logits, (len(batch), 1, *batch.shape[2:])).copy()


def test_a_logit_bias_moves_the_operating_point_of_a_finder():
    logits = np.full((64, 96), -10.0, np.float32)
    logits[20:40, 20:60] = 0.0  # probability 0.5: found at 0.3 without a bias
    cfg = {"mean": [0, 0, 0], "std": [1, 1, 1], "work_size": 96}
    rgb = np.zeros((64, 96, 3), np.uint8)
    plain = PlateFinder(_Logits(logits), cfg)
    biased = PlateFinder(_Logits(logits), {**cfg, "logit_bias": -1.0})
    plain.edge_mirror = biased.edge_mirror = 0.0  # the fixed map is the frame's
    assert len(plain.find(rgb, 0.3)) == 1
    assert biased.find(rgb, 0.3) == []


class _Brightness(Engine):
    """An engine that finds whatever is bright in its input (logit > 0 where the red channel is)."""

    def run(self, batch):
        return (batch[:, :1] - 0.5) * 20.0


def test_a_mirrored_frame_is_the_frame_at_its_offset_reflected_about_each_edge():
    rgb = np.random.default_rng(0).integers(0, 255, (40, 60, 3), np.uint8)
    padded, nw, nh, offset = fit_to_work_size(rgb, 60, mirror=5)
    assert (nw, nh, offset) == (60, 40, 5) and padded.shape[0] % 32 == 0 and padded.shape[1] % 32 == 0
    assert (padded[5:45, 5:65] == rgb).all()
    assert (padded[5:45, 4] == rgb[:, 1]).all() and (padded[4, 5:65] == rgb[1]).all()  # about the edge
    assert (padded[5:45, 65] == rgb[:, 58]).all() and (padded[45, 5:65] == rgb[38]).all()


def test_with_an_edge_mirror_the_finder_maps_the_frame_alone_and_completes_what_the_edge_cuts():
    rgb = np.zeros((64, 96, 3), np.uint8)
    rgb[20:30, 0:10] = 255  # the visible end of a plate the left edge cuts
    cfg = {"mean": [0, 0, 0], "std": [1, 1, 1], "work_size": 96}
    for mirror in (0.0, 0.1):
        finder = PlateFinder(_Brightness(), cfg)
        finder.edge_mirror = mirror
        prob, scale = finder.probability(rgb)
        assert prob.shape == (64, 96) and scale == 1.0
        assert ((prob > 0.5) == (rgb[:, :, 0] > 0)).all()
        (found,) = finder.find(rgb, 0.5)
        assert found.box == (0, 20, 10, 30)


def _face_finder(cfg=None):  # threshold 0.5 (the default)
    from service.inference.segmenters import FaceFinder

    logits = np.full((64, 96), -10.0, np.float32)
    logits[10:30, 10:26] = 3.0  # a face the detector also proposed
    logits[30:50, 60:76] = 3.0  # a face only the finder sees
    return FaceFinder(_Logits(logits), {"mean": [0, 0, 0], "std": [1, 1, 1], "work_size": 96, **(cfg or {})})


def test_the_face_finder_adds_the_faces_the_detector_missed_and_shapes_the_others():
    rgb = np.zeros((64, 96, 3), np.uint8)
    known = np.float32([[9, 11, 27, 31, 0.8]])
    ((rows, hints),) = _face_finder().proposals([rgb], [known])
    assert rows.shape == (2, 5) and np.array_equal(rows[0], known[0])
    assert tuple(rows[1, :4]) == (60, 30, 76, 50) and rows[1, 4] > 0.9
    assert hints[0].box == (10, 10, 26, 30) and hints[0].mask.all()  # the finder's view of the known face
    assert hints[1].box == (60, 30, 76, 50)
    ((rows, hints),) = _face_finder().proposals([rgb], [np.zeros((0, 5), np.float32)])
    assert len(rows) == len(hints) == 2
    far = np.float32([[80, 2, 90, 8, 0.8]])
    ((rows, hints),) = _face_finder().proposals([rgb], [far])
    assert len(rows) == 3 and hints[0] is None


def test_the_face_finder_proposes_no_face_wider_than_it_learnt_to_find():
    rgb = np.zeros((64, 96, 3), np.uint8)
    none = np.zeros((0, 5), np.float32)
    # both its faces are 16 px wide at its work size (96, as the image): proposed up to 16, not under
    assert len(_face_finder({"max_propose_width": 16}).proposals([rgb], [none])[0][0]) == 2
    assert len(_face_finder({"max_propose_width": 15}).proposals([rgb], [none])[0][0]) == 0
    known = np.float32([[9, 11, 27, 31, 0.8]])  # a detector's face is kept whatever its size
    assert len(_face_finder({"max_propose_width": 15}).proposals([rgb], [known])[0][0]) == 1


def test_a_hint_widens_the_crop_models_mask_within_its_window():
    from service.geometry import Detection
    from service.inference.segmenters import FaceRefiner

    refiner = FaceRefiner(_Plate(slice(0, 0), slice(0, 0)), {"input_size": 64, "context": 2.0,
                                                            "mean": [0, 0, 0], "std": [1, 1, 1]})
    rgb = np.zeros((120, 140, 3), np.uint8)
    prop = np.float32([[50, 50, 70, 70, 0.9]])  # window 40..80
    hint = Detection("faces", 0.9, (45, 60, 95, 75), np.ones((15, 50), bool))
    (plain,) = refiner.refine(rgb, prop)
    (hinted,) = refiner.refine(rgb, prop, hints=[hint])
    assert plain.box == hinted.box == (40, 40, 80, 80)
    # image (x 49, y 62): outside the proposal's ellipse, inside 1.3 × it; (x 78, y 62): the hint runs on
    # into a neighbour there
    assert not plain.mask[22, 9] and hinted.mask[22, 9]
    assert not hinted.mask[22, 38]
    assert hinted.mask.sum() > plain.mask.sum()
    assert (hinted.mask | plain.mask).sum() == hinted.mask.sum()  # nothing the crop model had is lost


def test_unsure_proposals_need_the_crop_models_confirmation(default_models):
    rgb, boxes = _street()
    refiner = default_models.backend("unet").faces
    x1, y1, x2, y2 = boxes[0]
    face = np.float32([[x1, y1, x2, y2, 0.9]])
    assert len(refiner.refine(rgb, face, unsure=np.array([True]))) == 1
    wall = np.full((200, 200, 3), 128, np.uint8)
    flat = np.float32([[60, 60, 120, 130, 0.9]])
    assert refiner.refine(wall, flat, unsure=np.array([True])) == []
    assert len(refiner.refine(wall, flat, unsure=np.array([False]))) == 1


def test_a_small_plates_rounded_mask_gets_square_corners_and_a_large_or_ragged_one_keeps_its_shape():
    from service.geometry import Detection
    from service.inference.segmenters import SMALL_PLATE, squared

    rounded = np.zeros((8, 20), np.uint8)
    cv2.ellipse(rounded, (10, 4), (11, 5), 0, 0, 360, 1, -1)  # corners cut off, as a blurry threshold does
    small = Detection("plates", 0.9, (10, 10, 30, 18), rounded > 0)
    out = squared(small)
    assert out.box == small.box and (out.mask >= small.mask).all()  # never less than it was
    assert out.mask.sum() > small.mask.sum() and out.mask[[0, 0, -1, -1], [0, -1, 0, -1]].all()

    wide = np.kron(rounded, np.ones((2, 4), np.uint8)) > 0  # the same shape, 80 px wide
    big = Detection("plates", 0.9, (0, 0, 2 * SMALL_PLATE, 16), wide)
    assert squared(big) is big
    ragged = np.zeros((8, 20), bool)
    ragged[:, :3] = ragged[:3, :] = True  # an L: a plate and a bumper, not a rectangle
    assert squared(Detection("plates", 0.9, (10, 10, 30, 18), ragged)).mask.sum() == ragged.sum()
