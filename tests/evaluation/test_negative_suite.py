"""The negative suite: over-redaction measured through the product on images without the class."""

from dataclasses import replace

import numpy as np

from service.core.options import Options
from service.evaluation.negative_suite import masked_stats, negative_suite, over_redaction
from service.geometry import Detection
from service.negatives import KINDS


def test_masked_stats_give_the_masked_share_and_the_largest_part():
    mask = np.zeros((10, 20), bool)
    assert masked_stats(mask) == (0.0, 0.0)
    mask[0:2, 0:5] = True  # 10 px
    mask[5:9, 10:15] = True  # 20 px
    area, part = masked_stats(mask)
    assert area == 30 / 200 and part == 20 / 200


def test_over_redaction_runs_the_product_pipeline(tiny_models, monkeypatch):
    images = [np.full((100, 150, 3), 200, np.uint8) for _ in range(3)]
    opts = Options(classes=("plates",))
    backend = tiny_models.backend("unet")
    monkeypatch.setattr(backend.plates, "find_many", lambda frames, *a: [[] for _ in frames])
    clean = over_redaction(tiny_models, iter(images), opts)
    assert clean["images"] == 3 and clean["any_pixel"] == 0 and clean["mean_area_pct"] == 0
    wrong = Detection("plates", 0.9, (10, 10, 60, 30), np.ones((20, 50), bool))
    monkeypatch.setattr(backend.plates, "find_many", lambda frames, *a: [[wrong] for _ in frames])
    row = over_redaction(tiny_models, iter(images), opts)
    # the grown mask (2 px + 8 % of 50 px = 6 px around) is what is reported
    assert row["any_pixel"] == 1.0 and row["mean_area_pct"] > 100 * 1000 / 15000
    assert row["largest_part_pct"] == row["worst_area_pct"]
    assert over_redaction(tiny_models, iter([]), opts) == {"images": 0}


def test_the_suite_reports_every_rendered_kind_per_class_and_pooled(tiny_models, monkeypatch):
    backend = tiny_models.backend("unet")
    monkeypatch.setattr(backend.plates, "find_many", lambda frames, *a: [[] for _ in frames])
    monkeypatch.setattr("service.evaluation.negative_suite.sample_photos", lambda: iter([]))
    no_faces = replace(tiny_models, face_finder=None)
    monkeypatch.setattr(no_faces.face_detector, "detect_many",
                        lambda frames, *a, **k: [np.zeros((0, 5), np.float32) for _ in frames])
    out = negative_suite(no_faces, Options(), data=None, per_kind=1)
    plates, faces = out["classes"]["plates"], out["classes"]["faces"]
    assert set(plates["kinds"]) == set(KINDS)
    assert "receipt" in faces["kinds"] and "texture" in faces["kinds"]
    assert plates["pooled"] == {"images": len(KINDS), "any_pixel": 0.0, "mean_area_pct": 0.0,
                                "largest_part_pct": 0.0}


def test_each_rendered_kind_yields_its_own_evaluation_images():
    from service.evaluation.negative_suite import face_free, plate_free
    from service.negatives import EVAL_SEED, render

    for source in (plate_free, face_free):
        for kind, images in source(None, 2).items():
            if kind in KINDS:
                got = list(images)
                assert len(got) == 2 and np.array_equal(got[1], render(kind, EVAL_SEED + 1)), kind


def test_the_table_puts_before_and_after_side_by_side():
    from service.evaluation.negative_suite import markdown

    row = {"images": 4, "any_pixel": 1.0, "mean_area_pct": 40.0, "largest_part_pct": 90.0}
    fixed = {"images": 4, "any_pixel": 0.25, "mean_area_pct": 0.01, "largest_part_pct": 0.2}
    before = {"classes": {"plates": {"kinds": {"receipt": row}, "pooled": row}}}
    after = {"classes": {"plates": {"kinds": {"receipt": fixed}, "pooled": fixed}}}
    table = markdown(before, after)
    assert "| receipt | 4 | 100% → 25% | 40 → 0.01 | 90 → 0.2 |" in table
    assert table.splitlines()[-1].startswith("| **pooled** | 4 | 100% → 25%")
