"""Choosing a verifier's threshold: what each threshold keeps of true objects and of false ones."""

import cv2
import numpy as np

from service.datasets import Record
from service.evaluation import verifier_threshold as vt


def test_trade_off_counts_kept_objects_and_images_left_with_a_false_one():
    rows = {r["threshold"]: r for r in vt.trade_off([0.95, 0.45, -1.0], [[0.6, 0.05], [], [0.15]], "faces")}
    assert rows[0.1] == {"threshold": 0.1, "faces_kept": 1.0, "faces_lost": 0,
                         "negative_images_with_a_face": round(2 / 3, 4), "negative_proposals_kept": 2}
    assert rows[0.5]["faces_kept"] == 0.5 and rows[0.5]["faces_lost"] == 1
    assert rows[0.5]["negative_images_with_a_face"] == round(1 / 3, 4)
    assert rows[0.9]["negative_proposals_kept"] == 0
    assert "plates_kept" in vt.trade_off([0.5], [[]])[0]  # plates by default


def test_only_faces_the_finder_alone_proposes_are_scored(tiny_models, tmp_path, monkeypatch):
    path = tmp_path / "scene.png"
    cv2.imwrite(str(path), np.full((120, 160, 3), 90, np.uint8))
    # faces: one CenterFace finds, one only the finder proposes, one nobody proposes
    record = Record(path, 160, 120, faces=[[10, 10, 30, 30], [60, 10, 80, 30], [110, 70, 130, 90]])
    rows = np.float32([[8, 8, 32, 32, 0.9], [58, 12, 82, 32, 0.95]])
    monkeypatch.setattr(tiny_models.face_detector, "detect_many",
                        lambda frames, *a: [rows[:1] for _ in frames])
    monkeypatch.setattr(tiny_models.face_finder, "proposals",
                        lambda frames, boxes, *a: [(rows, [None, None]) for _ in frames])
    scores = vt.face_scores(tiny_models, [record])
    assert len(scores) == 2 and scores[1] == -1.0  # the CenterFace face is never asked about
    assert scores[0] > 0.99  # the tiny verifier accepts everything
    assert vt.face_negative_scores(tiny_models, [cv2.imread(str(path))]) == [[scores[0]]]
    low = np.float32([[8, 8, 32, 32, 0.2], [58, 12, 82, 32, 0.95]])  # CenterFace unsure of the first
    monkeypatch.setattr(tiny_models.face_detector, "detect_many",
                        lambda frames, *a: [low[:1] for _ in frames])
    monkeypatch.setattr(tiny_models.face_finder, "proposals",
                        lambda frames, boxes, *a: [(low, [None, None]) for _ in frames])
    assert len(vt.face_scores(tiny_models, [record])) == 3  # now the first face is asked about too
