import cv2
import numpy as np

from service.datasets import Record
from service.training.samplers import FaceCropSampler, PlateSampler


def _scene(path, plate=None):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)
    if plate is not None:
        x1, y1, x2, y2 = plate
        img[y1:y2, x1:x2] = 235
        cv2.putText(img, "1234 KLM", (x1 + 2, y2 - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (10, 10, 10), 1)
    cv2.imwrite(str(path), img)
    return path


def _records(tmp_path):
    quad = np.float32([[100, 150], [200, 150], [200, 175], [100, 175]])
    plates = [Record(_scene(tmp_path / "p.png", (100, 150, 200, 175)), 320, 240, plates=[quad])]
    negatives = [Record(_scene(tmp_path / "n.png"), 320, 240)]
    return plates, negatives


def test_pasted_plates_land_on_plate_free_scenes_with_their_mask(tmp_path):
    plates, negatives = _records(tmp_path)
    sampler = PlateSampler(plates, negatives, size=128, paste=1.0)
    rng = np.random.default_rng(1)
    for _ in range(10):
        s = sampler.draw(rng)
        assert s.image.shape == (128, 128, 3) and s.mask.shape == (128, 128)
        assert s.mask.sum() > 0  # at least part of a pasted plate is in the window
        # the pasted pixels are bright plate pixels, not the noisy background
        assert s.image[s.mask > 0].mean() > s.image[s.mask == 0].mean() - 5


def test_hard_negative_windows_carry_no_plate(tmp_path):
    plates, negatives = _records(tmp_path)
    sampler = PlateSampler(plates, negatives, size=96, hard={0: [(40, 50, 60, 70)]}, paste=0.0)
    rng = np.random.default_rng(2)
    drawn = [sampler._hard_negative(rng) for _ in range(5)]
    assert all(mask.sum() == 0 and img.shape == (96, 96, 3) for img, mask in drawn)


def test_model_card_lists_every_fine_tuning_stage(tmp_path):
    import json

    from service.training.model_card import render

    first = {"command": "veil train plates --out a", "steps": 10, "data": ["plates_uc3m_lp_320:train"],
             "encoder_init": {"package": "pkg==1", "file": "w.pth", "sha256": "abc"}}
    second = {"command": "veil train plates --init a --out b", "steps": 5, "data": ["plates_openalpr:train"],
              "encoder_init": {"fine_tuned_from": "a", "previous_training": first}}
    cfg = {"role": "plates", "architecture": "unet", "encoder": "mobilenet_v2", "training": second}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    card = render(tmp_path, [])
    assert "1. `veil train plates --out a`" in card and "2. `veil train plates --init a --out b`" in card
    assert "`pkg==1`" in card and "sha256\n`abc`" in card


def _portrait(path):
    img = np.full((200, 160, 3), 90, np.uint8)
    cv2.ellipse(img, (80, 90), (40, 55), 0, 0, 360, (200, 160, 140), -1)
    cv2.imwrite(str(path), img)
    mask = np.zeros((200, 160), np.uint8)
    cv2.ellipse(mask, (80, 90), (40, 55), 0, 0, 360, 255, -1)
    cv2.imwrite(str(path.with_suffix(".mask.png")), mask)
    return Record(path, 160, 200, faces=[[0.0, 0.0, 160.0, 200.0]], face_mask=path.with_suffix(".mask.png"))


def test_face_crops_centre_on_the_detector_box_and_negatives_are_empty(tmp_path):
    portrait = _portrait(tmp_path / "f.png")
    scene = Record(_scene(tmp_path / "s.png"), 320, 240, faces=[[10.0, 10.0, 40.0, 40.0]])
    sampler = FaceCropSampler([portrait], [scene], size=64, context=(2.0, 2.0),
                              proposals={str(portrait.image): [55.0, 55.0, 105.0, 125.0]},
                              negatives={str(scene.image): [[200.0, 150.0, 240.0, 190.0]]},
                              negative_share=0.5)
    rng = np.random.default_rng(3)
    drawn = [sampler.draw(rng) for _ in range(40)]
    empty = [s for s in drawn if s.mask.sum() == 0]
    assert 8 <= len(empty) <= 32  # about half are detector false positives with nothing to mask
    faces = [s.mask for s in drawn if s.mask.sum() > 0]
    # a crop of 2 × the detector's 70 px box holds the whole 110 px face: it covers a fixed share of
    # the window (the annotated box, 200 px, would have made it a quarter of that)
    shares = [m.mean() for m in faces]
    assert min(shares) > 0.15 and max(shares) < 0.6


def test_plate_shape_crops_centre_the_plate_and_mask_it_exactly(tmp_path):
    from service.training.shape_sampler import PlateShapeSampler

    plates, _ = _records(tmp_path)
    sampler = PlateShapeSampler(plates, size=64, context=(1.3, 1.3), jitter=0.0)
    s = sampler.draw(np.random.default_rng(3))
    assert s.image.shape == (64, 64, 3) and s.mask.shape == (64, 64)
    # a 100 × 25 plate in a 130-px window: ~49 × 12 crop pixels (up to a small random affine), centred
    ys, xs = np.nonzero(s.mask)
    assert 500 < s.mask.sum() < 720
    assert abs(xs.mean() - 31.5) < 4 and abs(ys.mean() - 31.5) < 4


def test_plate_shape_negatives_are_crops_of_finder_mistakes_with_nothing_to_mask(tmp_path):
    from service.training.shape_sampler import PlateShapeSampler

    plates, negatives = _records(tmp_path)
    sampler = PlateShapeSampler(plates, size=64, negatives=negatives, hard={0: [(40, 50, 80, 60)]},
                                negative_share=1.0)
    s = sampler.draw(np.random.default_rng(4))
    assert s.image.shape == (64, 64, 3) and s.mask.sum() == 0


def test_face_ellipses_fill_their_boxes_and_train_a_finder(tmp_path):
    from service.training.samplers import face_ellipses

    faces = [[40.0, 60.0, 80.0, 110.0], [200.0, 30.0, 210.5, 43.0]]
    rec = Record(_scene(tmp_path / "f.png"), 320, 240, faces=faces)
    for poly, (x1, y1, x2, y2) in zip(face_ellipses(rec), faces, strict=True):
        assert abs(poly[:, 0].min() - x1) < 0.2 and abs(poly[:, 0].max() - x2) < 0.2
        assert abs(poly[:, 1].min() - y1) < 0.2 and abs(poly[:, 1].max() - y2) < 0.2
    sampler = PlateSampler([rec], [], size=96, objects=face_ellipses, widths=(10, 40))
    rng = np.random.default_rng(0)
    draws = [sampler.draw(rng) for _ in range(20)]
    assert sum(d.mask.any() for d in draws) >= 12  # most windows centre a face
    for d in draws:  # an ellipse fills about π/4 of its box (less where the window cuts it)
        _, _, stats, _ = cv2.connectedComponentsWithStats(d.mask.astype(np.uint8))
        for x, y, w, h, area in stats[1:]:
            assert area <= w * h and (area > 0.5 * w * h or min(x, y) == 0 or max(x + w, y + h) == 96)
