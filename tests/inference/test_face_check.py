"""The face verifier: faces the face finder alone proposes must look like faces to a second model."""

import shutil
from dataclasses import replace

import numpy as np
import pytest

from service.core.pipeline import face_proposals
from service.errors import ConfigurationError
from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.face_check import FaceVerifier
from service.inference.model_files import save_model_dir
from service.inference.registry import load_models
from tests.conftest import models_without, tiny_verifier, tiny_verifier_config

CPU = Compute("cpu", "onnx", 1)


def _verifier(tmp_path, bias: float) -> FaceVerifier:
    cfg = tiny_verifier_config("face-verifier")
    save_model_dir(tiny_verifier(bias), cfg, tmp_path / "face-verifier")
    return FaceVerifier(make_engine(CPU, tmp_path / "face-verifier"), cfg)


ROWS = np.float32([[10, 10, 40, 45, 0.9], [60, 20, 80, 44, 0.95], [100, 60, 118, 80, 0.99]])


def test_only_the_rows_it_is_asked_about_can_be_dropped(tmp_path):
    rgb = np.full((120, 160, 3), 90, np.uint8)
    ask = np.array([False, True, True])
    assert _verifier(tmp_path / "r", -20.0).confirmed(rgb, ROWS, ask).tolist() == [True, False, False]
    assert _verifier(tmp_path / "a", 20.0).confirmed(rgb, ROWS, ask).tolist() == [True, True, True]
    assert _verifier(tmp_path / "a", 20.0).confirmed(rgb, ROWS[:0], ask[:0]).shape == (0,)


def test_the_finders_own_proposals_pass_the_verifier_and_the_detectors_do_not(tiny_models, tmp_path,
                                                                               monkeypatch):
    rgb = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    known = ROWS[:1]
    monkeypatch.setattr(tiny_models.face_detector, "detect_many", lambda frames, *a: [known for _ in frames])
    monkeypatch.setattr(tiny_models.face_finder, "proposals",
                        lambda frames, boxes, *a: [(ROWS, [None, None, None]) for _ in frames])
    (rows, added, hints), = face_proposals(tiny_models, [rgb], 0.3)
    assert len(rows) == 3 and added.tolist() == [False, True, True] and len(hints) == 3
    refusing = replace(tiny_models, face_verifier=_verifier(tmp_path, -20.0))
    (rows, added, hints), = face_proposals(refusing, [rgb], 0.3)
    assert rows.tolist() == known.tolist() and added.tolist() == [False] and hints == [None]
    (rows, _, _), = face_proposals(replace(tiny_models, face_verifier=None), [rgb], 0.3)
    assert len(rows) == 3


def test_the_face_verifier_is_required_with_the_face_finder(tmp_path, tiny_models_dir):
    models_without(tiny_models_dir, tmp_path, "face-verifier")
    with pytest.raises(ConfigurationError, match="face-verifier"):
        load_models(tmp_path, ("unet",), CPU)
    assert load_models(tmp_path, ("unet",), CPU, face_verifier=False).face_verifier is None
    assert load_models(tmp_path, ("unet",), CPU, face_finder=False).face_verifier is None
    shutil.copytree(tiny_models_dir / "plate-verifier", tmp_path / "face-verifier")
    with pytest.raises(ConfigurationError, match="not a face-verifier model"):
        load_models(tmp_path, ("unet",), CPU)


def test_the_detectors_proposals_under_the_face_threshold_are_asked_too(tiny_models, tmp_path, monkeypatch):
    rgb = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    known = np.float32([[10, 10, 40, 45, 0.9], [60, 20, 80, 44, 0.2]])
    monkeypatch.setattr(tiny_models.face_detector, "detect_many", lambda frames, *a: [known for _ in frames])
    monkeypatch.setattr(tiny_models.face_finder, "proposals",
                        lambda frames, boxes, *a: [(known, [None, None]) for _ in frames])
    refusing = replace(tiny_models, face_verifier=_verifier(tmp_path, -20.0))
    (rows, added, _), = face_proposals(refusing, [rgb], 0.18, unsure_below=0.3)
    assert rows.tolist() == known[:1].tolist() and added.tolist() == [False]
    (rows, _, _), = face_proposals(refusing, [rgb], 0.18)  # nothing under 0: only the finder's are unsure
    assert len(rows) == 2
