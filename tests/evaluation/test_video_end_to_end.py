"""Video evaluation measures the product: the same frame loop, the same masks, as a served job."""

import json

import av
import cv2
import numpy as np
import pytest

from service.config import Settings
from service.core.masks import Shape
from service.core.options import Options
from service.core.profiles import PROFILES
from service.core.video_pipeline import FrameLoop, VideoOptions, redact_video
from service.datasets import Record
from service.evaluation.video_end_to_end import scene_rates
from service.evaluation.video_leaks import Recorder
from service.evaluation.video_scenes import (
    KINDS,
    MOVING_KINDS,
    SceneSpec,
    compose,
    frames_of,
    scenes,
    write_clip,
)
from service.jobs.runner import run_job
from service.jobs.store import JobStore
from service.media.video import VideoLimits
from tests.conftest import MODELS, make_clip


def _decoded(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def _draw(t, rgb):
    """A bright square walking right over the clip: something for the models and the tracker."""
    cv2.rectangle(rgb, (10 + 3 * t, 30), (40 + 3 * t, 60), (250, 250, 250), -1)


def test_the_frame_loop_in_memory_gives_the_masks_a_job_paints(tmp_path, tiny_models):
    """``redact_video`` (what a job runs) observed on a file, and ``FrameLoop`` (what the stills suite
    runs) on that file's decoded frames: the same masks on every frame."""
    src = make_clip(tmp_path / "in.mp4", frames=24, draw=_draw)
    opts = Options(mode="fill", regions=(Shape.parse([100, 10, 140, 40]),))
    vopts = PROFILES["fast"].video_options(face_work_size=None, plate_work_size=None)
    served = Recorder(120, 160)
    redact_video(tiny_models, src, tmp_path / "out.mp4", opts, vopts, VideoLimits(), observe=served)
    measured = Recorder(120, 160)
    loop = FrameLoop(tiny_models, opts, vopts, 160, 120, observe=measured)
    for t, rgb in enumerate(_decoded(src)):
        list(loop.push(t, rgb, loop.prepare(rgb)))
    list(loop.flush())
    assert sorted(served.masks) == sorted(measured.masks) == list(range(24))
    for t in range(24):
        assert np.array_equal(served.masks[t], measured.masks[t]), t
        assert served.masks[t][15:35, 105:135].all()  # the region, at least


def test_a_job_writes_what_the_evaluation_observed(tmp_path, tiny_models_dir, tiny_models):
    """The job runner's output, decoded, is filled exactly where the evaluation's observed masks are
    (up to H.264 loss at the mask's edges)."""
    src = make_clip(tmp_path / "in.mp4", frames=16, draw=_draw)
    # faces only: the untrained plate finder marks every pixel, CenterFace finds no face here, so the
    # region is what is painted, and its edges are where the two could differ
    fields = {"mode": "fill", "colour": "#ff00ff", "profile": "fast", "classes": "faces",
              "regions": "[[100, 10, 140, 40]]"}
    settings = Settings(models_dir=tiny_models_dir, jobs_dir=tmp_path / "jobs")
    store = JobStore(settings.jobs_dir, 60)
    job = store.create()
    store.input_path(job.id).write_bytes(src.read_bytes())
    store.update(job, options=fields)
    run_job(store, tiny_models, settings, job.id)
    assert store.get(job.id).status == "succeeded"
    served = _decoded(store.result_path(job.id))
    seen = Recorder(120, 160)
    opts = Options(mode="fill", colour=(255, 0, 255), regions=(Shape.parse([100, 10, 140, 40]),),
                   classes=("faces",))
    redact_video(tiny_models, src, tmp_path / "eval.mp4", opts,
                 PROFILES["fast"].video_options(), VideoLimits(), observe=seen)
    for t, rgb in enumerate(served):
        inner = cv2.erode(seen.masks[t].astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        outer = cv2.dilate(seen.masks[t].astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
        magenta = np.abs(rgb.astype(int) - (255, 0, 255)).sum(axis=2) < 60
        assert inner.any() and outer.any()
        assert magenta[inner].mean() > 0.98, t
        assert magenta[outer].mean() < 0.01, t


def _records(tmp_path):
    """A road photo with one 120 px plate and a crowd photo with four faces, drawn in code."""
    rng = np.random.default_rng(0)
    road = cv2.GaussianBlur((rng.random((720, 1280, 3)) * 120).astype(np.uint8), (0, 0), 3)
    road[400:430, 600:720] = 240
    crowd = cv2.GaussianBlur((rng.random((300, 400, 3)) * 255).astype(np.uint8), (0, 0), 2)
    faces = [[40 + 80 * i, 100, 80 + 80 * i, 150] for i in range(4)]
    for x1, y1, x2, y2 in faces:
        cv2.ellipse(crowd, ((x1 + x2) // 2, (y1 + y2) // 2), ((x2 - x1) // 2, (y2 - y1) // 2), 0, 0, 360,
                    (200, 160, 130), -1)
    cv2.imwrite(str(tmp_path / "road.png"), road[..., ::-1])
    cv2.imwrite(str(tmp_path / "crowd.png"), crowd[..., ::-1])
    quad = np.float32([[600, 400], [720, 400], [720, 430], [600, 430]])
    return (Record(tmp_path / "road.png", 1280, 720, plates=[quad]),
            Record(tmp_path / "crowd.png", 400, 300, faces=faces))


def _read(record):
    return cv2.imread(str(record.image))[..., ::-1].copy()


def test_scenes_hold_only_their_classes_and_truth_moves_with_the_camera(tmp_path):
    road, crowd = _records(tmp_path)
    for kind in KINDS:
        spec = SceneSpec(kind, "pan-shake", frames=6, size=(320, 180), seed=3)
        canvas = compose(spec, road, crowd, _read)
        held = {cls for cls, objs in canvas.objects.items() if objs}
        assert held == {"street": {"faces", "plates"}, "road": {"plates"}, "crowd": {"faces"},
                        "text": set()}[kind]
        for frame, truth, _ in frames_of(spec, canvas):
            assert frame.shape == (180, 320, 3)
            for m in truth.get("plates", []):
                if m.sum() > 20:
                    assert frame[m].mean() > 200  # the white plate is under its moved mask


def test_in_traffic_scenes_a_plate_and_a_face_move_by_themselves_their_truth_with_them(tmp_path):
    road, crowd = _records(tmp_path)
    spec = SceneSpec("traffic", "shake", frames=8, size=(640, 360), seed=1)
    canvas = compose(spec, road, crowd, _read)
    assert {sp.cls for sp in canvas.sprites} == {"faces", "plates"}
    seen = list(frames_of(spec, canvas))
    assert all(len(truth["plates"]) == 2 and len(truth["faces"]) >= 1 for _, truth, _ in seen)

    def centre(m):
        ys, xs = np.nonzero(m)
        return np.array([xs.mean(), ys.mean()])

    t0, t7 = seen[0][1], seen[-1][1]
    still, moving = (centre(t0["plates"][k]) - centre(t7["plates"][k]) for k in range(2))
    assert np.abs(still).max() < 20  # the road's own plate moves only with the hand-held camera
    assert abs(moving[0]) > 50 and abs(moving[1]) < 20  # the car drives across it
    for frame, truth, _ in seen:
        for m in truth["plates"]:
            if m.sum() > 20:  # in view
                assert frame[m].mean() > 200  # each white plate under its mask
    assert set(KINDS).isdisjoint(MOVING_KINDS)  # the default suite's rates stay comparable


def test_scene_rates_measure_leaks_background_and_fps_end_to_end(tmp_path, tiny_models):
    road, crowd = _records(tmp_path)
    chosen = scenes([road], [crowd], 1, frames=8, kinds=("road", "text"))
    chosen = [(SceneSpec(s.kind, s.motion, s.frames, (320, 180), s.seed), r, c) for s, r, c in chosen]
    # a region over the whole frame: everything masked, so nothing leaks and all background changes
    everything = Options(mode="fill", regions=(Shape.parse([0, 0, 320, 180]),))
    out = scene_rates(tiny_models, chosen, everything, VideoOptions(stride=4), _read)
    assert out["frames"] == 16 and out["fps"] > 0 and out["ceiling_fps"] > 0
    assert out["leak_rate"] == 0.0 and out["background_changed"] == 1.0
    assert set(out["by_kind"]) == {"road", "text"}
    assert out["by_kind"]["road"]["by_class"]["plates"]["object_frames"] > 0
    assert out["by_kind"]["text"]["by_class"].get("plates", {}).get("object_frames", 0) == 0
    nothing = scene_rates(tiny_models, chosen, Options(mode="fill", classes=("faces",)),
                          VideoOptions(stride=4), _read, ceiling=False)
    assert nothing["by_kind"]["road"]["leak_rate"] == 1.0  # plates were not asked for: all leak
    json.dumps(out)


def test_a_clip_is_written_with_audio(tmp_path):
    n = write_clip((np.full((64, 96, 3), 10 * t, np.uint8) for t in range(10)), tmp_path / "c.mp4")
    with av.open(str(tmp_path / "c.mp4")) as c:
        assert n == 10 and c.streams.video[0].frames == 10 and len(c.streams.audio) == 1


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_builds_valid_video_options(name, tiny_models):
    vopts = PROFILES[name].video_options()
    FrameLoop(tiny_models, Options(), vopts, 64, 48)
    assert PROFILES[name].video_options(stride=3).stride == 3
    assert MODELS.is_dir()
