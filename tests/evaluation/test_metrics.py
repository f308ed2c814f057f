import json

import cv2
import numpy as np

from service.core.options import Options
from service.datasets import load_records, select
from service.evaluation.metrics import ClassTally, enlarge, size_bin
from service.evaluation.runner import evaluate, ground_truth


def test_coverage_recall_by_size_and_pixel_metrics():
    t = ClassTally()
    gt_small = np.zeros((100, 100), bool)
    gt_small[10:20, 10:30] = True  # 20 px wide
    gt_big = np.zeros((100, 100), bool)
    gt_big[40:90, 20:90] = True  # 70 px wide
    final = np.zeros((100, 100), bool)
    final[10:20, 10:26] = True  # 80 % of the small object
    final[40:90, 20:90] = True
    t.add_objects([gt_small, gt_big], [20, 70], final)
    t.add_pixels(gt_small | gt_big, final)
    s = t.summary()
    assert s["recall@0.8"] == 1.0 and s["recall@0.95"] == 0.5
    assert s["recall@0.95[<24]"] == 0.0 and s["recall@0.95[>64]"] == 1.0 and s["n[24-64]"] == 0
    assert 0.9 < s["iou"] < 1.0 and s["fn_rate"] > 0


def test_instance_iou_ignores_unlabelled_finds_and_scores_misses_as_zero():
    from service.geometry import Detection

    gt_a = np.zeros((100, 100), bool)
    gt_a[10:20, 10:30] = True
    gt_b = np.zeros((100, 100), bool)
    gt_b[60:70, 60:80] = True  # never found
    found = Detection("plates", 0.9, (10, 10, 30, 22), np.ones((12, 20), bool))  # 200 / 240
    unlabelled = Detection("plates", 0.9, (40, 40, 50, 50), np.ones((10, 10), bool))
    t = ClassTally()
    t.add_instances([gt_a, gt_b], [20.0, 70.0], [found, unlabelled])
    s = t.summary()
    assert abs(s["instance_iou"] - (200 / 240) / 2) < 1e-3
    # the shape of what was found, apart from the miss; and per size bin
    assert abs(s["instance_iou_found"] - 200 / 240) < 1e-3
    assert abs(s["instance_iou[<24]"] - 200 / 240) < 1e-3 and s["instance_iou[>64]"] == 0.0
    assert "instance_iou[24-64]" not in s


def test_served_iou_takes_the_grown_parts_touching_each_object():
    gt_a = np.zeros((100, 100), bool)
    gt_a[10:20, 10:30] = True  # 200 px
    gt_b = np.zeros((100, 100), bool)
    gt_b[60:70, 60:80] = True  # not covered at all
    final = np.zeros((100, 100), bool)
    final[8:22, 8:32] = True  # gt_a grown by 2 px: 336 px
    final[40:50, 40:50] = True  # an unlabelled find: not counted against either
    t = ClassTally()
    t.add_served([gt_a, gt_b], final)
    assert abs(t.summary()["instance_iou_served"] - (200 / 336) / 2) < 1e-3


def test_over_redaction_counts_only_far_pixels():
    gt = np.zeros((100, 100), bool)
    gt[40:60, 40:60] = True
    grown = enlarge([gt], [20], (100, 100))
    final = gt.copy()
    final[41:59, 61:63] = True  # within 25 % of size: allowed
    final[0:10, 0:10] = True  # far away: over-redaction
    t = ClassTally()
    t.add_over(final, grown)
    assert t.summary()["over_redaction"] == 0.01
    assert size_bin(23.9) == "<24" and size_bin(24) == "24-64" and size_bin(64) == ">64"


def make_dataset(root, n=3):
    (root / "images").mkdir(parents=True)
    rows = []
    for i in range(n):
        img = np.full((120, 160, 3), 80, np.uint8)
        cv2.imwrite(str(root / "images" / f"{i}.png"), img)
        rows.append({"image": f"images/{i}.png", "width": 160, "height": 120,
                     "faces": [[10, 10, 40, 50], [0, 0, 3, 3]],
                     "plates": [[[60, 60], [120, 62], [119, 80], [61, 78]]], "plates_type": "quad",
                     "split": "test" if i else "train"})
    (root / "annotations.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return root


def test_reader_ground_truth_and_splits(tmp_path):
    records = load_records(make_dataset(tmp_path))
    assert len(select(records, "test")) == 2 and len(select(records, "train")) == 1
    masks, _sizes, shaped = ground_truth(records[0], "faces")
    assert len(masks) == 1 and not shaped  # the 3 px face is ignored; boxes give ellipses
    plates, psizes, pshaped = ground_truth(records[0], "plates")
    assert pshaped and psizes[0] == 60.0 and plates[0][70, 90]


def test_evaluate_reports_every_metric_for_regions_and_baseline(tmp_path, tiny_models):
    folder = make_dataset(tmp_path)
    opts = Options(regions=())
    for method in ("veil", "baseline"):
        out = evaluate(tiny_models, folder, "test", opts, method)
        assert out["images"] == 2 and set(out["classes"]) == {"faces", "plates"}
        plates = out["classes"]["plates"]
        assert {"recall@0.8", "iou", "dice", "fn_rate", "over_redaction", "ap_mask"} <= set(plates)
        assert out["latency_ms_p50"] > 0 and out["peak_rss_mb"] > 0


def test_evaluate_with_plates_partly_hidden_scores_what_is_left_of_them(tmp_path, tiny_models):
    folder = make_dataset(tmp_path)
    whole = evaluate(tiny_models, folder, "test", Options(regions=()))
    hidden = evaluate(tiny_models, folder, "test", Options(regions=()), occlude=0.3)
    assert hidden["occluded_share"] == 0.3 and "occluded_share" not in whole
    assert hidden["classes"]["plates"]["objects"] == whole["classes"]["plates"]["objects"] == 2


def test_evaluate_every_class_scores_each_class_on_the_whole_mask(tmp_path, tiny_models, monkeypatch):
    from service.evaluation import runner

    def paints_a_corner(models, rgb, opts):  # a "plate" far from every object, whatever is asked
        final = np.zeros(rgb.shape[:2], bool)
        if "plates" in opts.classes:
            final[100:, 140:] = True
        return [], final

    monkeypatch.setitem(runner.METHODS, "corner", paints_a_corner)
    folder = make_dataset(tmp_path)
    alone = evaluate(tiny_models, folder, "test", Options(regions=()), "corner")
    together = evaluate(tiny_models, folder, "test", Options(regions=()), "corner", every_class=True)
    assert alone["classes"]["faces"]["over_redaction"] == 0
    assert together["classes"]["faces"]["over_redaction"] > 0  # the plate models' mask counts for faces
    assert together["redacted_for"] == ["faces", "plates"] and "redacted_for" not in alone
