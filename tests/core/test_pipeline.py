"""Face proposals: the finer face pass adds small faces only, and only where nothing else stands."""

import json
from dataclasses import replace

import cv2
import numpy as np

from service.core.options import Options
from service.core.pipeline import (
    PHOTO_SMALL_FACES,
    SMALL_FACE_PX,
    detect,
    face_proposals,
    for_photo,
    small_face_limit,
)
from service.core.profiles import PROFILES
from service.core.video_pipeline import FrameLoop
from service.geometry import overlap_matrix
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
FACE = [100, 100, 200, 200, 0.9]  # the first pass's face
FOUND = [300, 40, 340, 80, 0.8]  # a face the finder adds


def _stubbed(models, monkeypatch, fine: list[list[float]]):
    calls = []

    def detect_many(frames, threshold, work_size, edge_pad=0.0):
        calls.append(work_size)
        rows = [FACE] if work_size == models.face_work_size else fine
        return [np.float32(rows).reshape(-1, 5) for _ in frames]

    monkeypatch.setattr(models.face_detector, "detect_many", detect_many)
    monkeypatch.setattr(models.face_finder, "proposals",
                        lambda frames, boxes, *a: [(np.concatenate([b, np.float32([FOUND])]), [None, None])
                                                   for b in boxes])
    return calls


def test_the_finer_pass_adds_small_faces_nothing_else_holds(tiny_models, monkeypatch):
    models = replace(tiny_models, face_verifier=None)
    small = SMALL_FACE_PX - 4
    fine = [[500, 300, 500 + small, 300 + small, 0.7],  # a small face alone: added
            [140, 120, 140 + small, 120 + small, 0.9],  # inside the first pass's face (its eyes): not
            [310, 50, 310 + small, 50 + small, 0.6],  # on the finder's face: not
            [600, 100, 600 + SMALL_FACE_PX, 100 + SMALL_FACE_PX, 0.9]]  # not small: the first pass's
    calls = _stubbed(models, monkeypatch, fine)
    rgb = np.zeros((720, 1280, 3), np.uint8)  # the first pass at 960 px: the limit is SMALL_FACE_PX
    (rows, added, hints), = face_proposals(models, [rgb], 0.3, small_work_size=1280)
    assert calls == [models.face_work_size, 1280]
    assert rows.tolist() == np.float32([FACE, FOUND, fine[0]]).tolist()
    assert added.tolist() == [False, True, False]  # the detector's own: the verifier is not asked
    assert hints == [None, None, None]


def test_without_the_finer_pass_the_detector_runs_once(tiny_models, monkeypatch):
    models = replace(tiny_models, face_verifier=None)
    calls = _stubbed(models, monkeypatch, [[500, 300, 510, 310, 0.7]])
    (rows, added, _), = face_proposals(models, [np.zeros((360, 640, 3), np.uint8)], 0.3)
    assert calls == [models.face_work_size] and len(rows) == 2 and added.tolist() == [False, True]
    (rows, _, _), = face_proposals(replace(models, face_finder=None), [np.zeros((360, 640, 3), np.uint8)],
                                   0.3, small_work_size=1280)
    assert rows.tolist() == np.float32([FACE, [500, 300, 510, 310, 0.7]]).tolist()


def _crowd(scale: float, size: tuple[int, int] = (1280, 720), ys: tuple[int, int] = (60, 360), x: int = 40,
           gap: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The fixtures' street photos shrunk into a frame of ``size`` twice over (at ``ys``): faces of
    ~``scale`` × 50 px."""
    canvas, truth = np.full((size[1], size[0], 3), 120, np.uint8), []
    for name, boxes in json.loads((FIXTURES / "faces.json").read_text()).items():
        rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB)
        small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        for y in ys:
            canvas[y:y + small.shape[0], x:x + small.shape[1]] = small
            truth += [[x + b[0] * scale, y + b[1] * scale, x + b[2] * scale, y + b[3] * scale] for b in boxes]
        x += small.shape[1] + gap
    return canvas, np.float32(truth)


def test_small_faces_in_a_720p_frame_are_all_proposed_with_the_finer_pass(default_models):
    """Faces of 13-21 px (the served int8 models, bit-identical on every x86-64 CPU): every one is
    proposed, and the finer pass only adds to what the first pass proposed."""
    for scale in (0.25, 0.35, 0.4):
        rgb, truth = _crowd(scale)
        (first, _, _), = face_proposals(default_models, [rgb], 0.18)
        (rows, _, _), = face_proposals(default_models, [rgb], 0.18, small_work_size=1280)
        assert rows[:len(first)].tolist() == first.tolist()
        assert overlap_matrix([tuple(t) for t in truth], rows).any(axis=1).all(), scale


def test_every_profile_runs_the_finer_pass_and_zero_turns_it_off(tiny_models):
    for name, profile in PROFILES.items():
        loop = FrameLoop(tiny_models, Options(), profile.video_options(), 160, 120)
        assert loop.opts.small_face_work_size == profile.small_face_work_size == 1280, name
    off = FrameLoop(tiny_models, Options(), PROFILES["fast"].video_options(small_face_work_size=0), 160, 120)
    assert off.opts.small_face_work_size is None


def test_the_small_face_limit_follows_the_first_passs_scale():
    assert small_face_limit(1280, 960) == SMALL_FACE_PX  # a 720p video frame
    assert small_face_limit(2560, 960) == 2 * small_face_limit(1280, 960)  # seen at half the scale
    assert small_face_limit(400, 960) == SMALL_FACE_PX * 0.75 / 2  # upscaled, at most 2x


def test_a_photo_larger_than_the_working_size_gets_the_finer_pass(tiny_models):
    opts = Options()
    assert for_photo(tiny_models, (1500, 2000, 3), opts).small_face_work_size == PHOTO_SMALL_FACES
    assert for_photo(tiny_models, (3000, 4000, 3), opts).small_face_work_size == PHOTO_SMALL_FACES
    assert for_photo(tiny_models, (720, 1280, 3), opts).small_face_work_size == 1280  # its own size
    assert for_photo(tiny_models, (600, 960, 3), opts) is opts  # seen whole by the first pass
    for own in (replace(opts, small_face_work_size=0), replace(opts, classes=("plates",)),
                replace(opts, small_face_work_size=1280)):
        assert for_photo(tiny_models, (1500, 2000, 3), own) is own


def test_a_large_photos_small_faces_are_found_with_the_finer_pass(default_models):
    """Faces of 13-23 px in a photo larger than the face working size, which the first pass sees at
    5-9 px: every one is found (the served int8 models, bit-identical on every x86-64 CPU)."""
    for scale in (0.3, 0.4):
        rgb, truth = _crowd(scale, (2560, 1440), (100, 700), 80, 600)  # the photos at 0.3-0.4 of their size
        found = detect(default_models, rgb, Options(classes=("faces",)))
        assert found, scale
        hit = overlap_matrix([tuple(t) for t in truth], np.float32([d.box for d in found])).any(axis=1)
        assert hit.all(), (scale, hit)
