"""The plate verifier: a second opinion that drops plate proposals it does not take for plates."""

import shutil
from dataclasses import replace

import numpy as np
import pytest

from service.core.options import Options
from service.core.pipeline import detect
from service.errors import ConfigurationError
from service.geometry import Detection
from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.model_files import save_model_dir
from service.inference.plate_check import PlateVerifier
from service.inference.registry import load_models
from tests.conftest import models_without, tiny_plate_verifier, tiny_verifier, tiny_verifier_config

CPU = Compute("cpu", "onnx", 1)


def _verifier(tmp_path, bias: float, threshold: float | None = None) -> PlateVerifier:
    return tiny_plate_verifier(tmp_path / "plate-verifier", bias, threshold)


def _plate(box=(40, 50, 90, 62)) -> Detection:
    x1, y1, x2, y2 = box
    return Detection("plates", 0.9, box, np.ones((y2 - y1, x2 - x1), bool))


def test_scores_one_probability_per_proposal_and_keeps_those_over_its_threshold(tmp_path):
    rgb = np.full((120, 160, 3), 90, np.uint8)
    accept, refuse = _verifier(tmp_path / "a", 20.0), _verifier(tmp_path / "r", -20.0)
    found = [_plate(), _plate((0, 0, 30, 8)), _plate((150, 110, 160, 120))]  # edges included
    assert accept.scores(rgb, [d.box for d in found]).shape == (3,)
    assert accept.keep(rgb, found) == found
    assert refuse.keep(rgb, found) == []
    assert accept.keep(rgb, []) == [] and accept.scores(rgb, []).shape == (0,)


def test_each_proposal_is_seen_as_a_strip_of_its_views_narrow_above_wide(tmp_path):
    verifier = _verifier(tmp_path, 20.0)
    seen = []
    verifier.engine.run_images = lambda images, mean, std: seen.append(images) or np.zeros((len(images), 1))
    rgb = np.zeros((400, 400, 3), np.uint8)
    rgb[190:210, 180:220] = 255  # a bright 40 × 20 "plate" in the middle
    verifier.scores(rgb, [(180, 190, 220, 210), (0, 0, 20, 10)])
    (strips,) = seen
    assert strips.shape == (2, 128, 64, 3)  # two proposals, two 64² views each
    narrow, wide = strips[0, :64].mean(axis=2), strips[0, 64:].mean(axis=2)
    # context 2: the plate is half the crop's width; context 5: a fifth of it
    assert (narrow[32] > 128).sum() == pytest.approx(32, abs=2)
    assert (wide[32] > 128).sum() == pytest.approx(13, abs=2)


def test_a_proposal_kept_only_just_is_marked_unsure(tmp_path):
    """Kept over the threshold but under ``SURE``: a plate on a still; video waits to see it again."""
    rgb = np.full((120, 160, 3), 90, np.uint8)
    marginal = _verifier(tmp_path / "m", 0.0)  # every proposal scores 0.5
    marginal.threshold = 0.4
    (kept,) = marginal.keep(rgb, [_plate()])
    assert not kept.sure and kept.box == _plate().box
    marginal.threshold = 0.6
    assert marginal.keep(rgb, [_plate()]) == []
    (at_edge,) = _verifier(tmp_path / "e", 0.0, threshold=0.4).keep(rgb, [_plate((0, 50, 40, 62))])
    assert at_edge.sure  # cut by the frame: the verifier sees it completed by its mirror image
    (certain,) = _verifier(tmp_path / "c", 20.0).keep(rgb, [_plate()])
    assert certain.sure


def test_with_a_floor_the_plates_turned_down_above_it_come_back_doubted(tmp_path):
    rgb = np.full((120, 160, 3), 90, np.uint8)
    verifier = _verifier(tmp_path, 0.0, threshold=0.6)  # every proposal scores 0.5
    assert verifier.keep(rgb, [_plate()]) == []
    (doubted,) = verifier.keep(rgb, [_plate()], floor=0.4)
    assert doubted.doubt and not doubted.sure and doubted.box == _plate().box
    assert verifier.keep(rgb, [_plate()], floor=0.55) == []
    verifier.threshold = 0.4
    (kept,) = verifier.keep(rgb, [_plate()], floor=0.2)
    assert not kept.doubt  # kept: not doubted


def test_a_photo_never_gets_a_doubted_plate(tiny_models, tmp_path, monkeypatch):
    verifier = _verifier(tmp_path, 0.0, threshold=0.6)
    models = replace(tiny_models, plate_verifier=verifier)
    seen = []
    monkeypatch.setattr(verifier, "keep", lambda rgb, found, floor=None: seen.append(floor) or [])
    detect(models, np.full((120, 160, 3), 90, np.uint8), Options(classes=("plates",)))
    assert seen == [None]


def test_a_one_view_verifier_still_serves(tmp_path):
    cfg = {k: v for k, v in tiny_verifier_config().items() if k != "contexts"}
    model = tiny_verifier(20.0)
    one_view = type(model)(cfg["encoder"]).eval()
    save_model_dir(one_view, cfg, tmp_path / "one")
    verifier = PlateVerifier(make_engine(CPU, tmp_path / "one"), cfg)
    assert verifier.contexts == [2.0]
    assert verifier.scores(np.zeros((50, 80, 3), np.uint8), [(10, 10, 40, 20)]).shape == (1,)


def test_the_pipeline_asks_the_verifier_before_shaping(tiny_models, tmp_path, monkeypatch):
    rgb = np.random.default_rng(0).integers(0, 255, (200, 260, 3), dtype=np.uint8)
    opts = Options(classes=("plates",))
    backend = tiny_models.backend("unet")
    monkeypatch.setattr(backend.plates, "find_many", lambda frames, *a: [[_plate()] for _ in frames])
    assert len(detect(tiny_models, rgb, opts)) == 1
    refusing = replace(tiny_models, plate_verifier=_verifier(tmp_path, -20.0))
    assert detect(refusing, rgb, opts) == []
    assert len(detect(replace(tiny_models, plate_verifier=None), rgb, opts)) == 1


def test_the_plate_verifier_is_required_unless_turned_off(tmp_path, tiny_models_dir):
    models_without(tiny_models_dir, tmp_path, "plate-verifier")
    with pytest.raises(ConfigurationError, match="plate-verifier"):
        load_models(tmp_path, ("unet",), CPU)
    assert load_models(tmp_path, ("unet",), CPU, plate_verifier=False).plate_verifier is None
    shutil.copytree(tiny_models_dir / "face-finder", tmp_path / "plate-verifier")
    with pytest.raises(ConfigurationError, match="not a plate-verifier model"):
        load_models(tmp_path, ("unet",), CPU)


def test_a_proposal_the_edge_cuts_is_seen_completed_by_its_mirror_image_and_others_beside_grey(tmp_path):
    verifier = _verifier(tmp_path, 20.0)
    seen = []
    verifier.engine.run_images = lambda images, mean, std: seen.append(images) or np.zeros((len(images), 1))
    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[50:60, 0:20] = 255  # a plate's end at the left edge
    rgb[80:90, 4:24] = 255  # a plate just off the edge
    verifier.scores(rgb, [(0, 50, 20, 60), (4, 80, 24, 90)])
    (strips,) = seen
    cut, near = strips[0, :64], strips[1, :64]  # the narrow views: 2 × 20 px around each centre
    assert (cut[32, :16, 0] > 128).all()  # left of the edge: the plate's mirror image
    assert (near[32, :4] == 114).all()  # a box that does not reach the edge: grey beyond it
