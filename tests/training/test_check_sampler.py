"""Training crops for the verifiers: objects labelled 1, finder mistakes and random windows 0."""

import numpy as np
import torch

from service.datasets import Record
from service.inference.architectures import build_model
from service.training.check_sampler import CropCheckSampler, _random_box, covered, face_boxes, face_window
from service.training.train import LOSSES, widened
from tests.training.test_samplers import _records, _scene


def test_crops_are_labelled_by_where_they_come_from(tmp_path):
    plates, _ = _records(tmp_path)
    scene = np.full((240, 320, 3), 250, np.uint8)
    sampler = CropCheckSampler(plates, [scene], {0: [(20.0, 20.0, 80.0, 40.0)]}, size=48)
    rng = np.random.default_rng(0)
    labels = []
    for _ in range(200):
        s = sampler.draw(rng)
        assert s.image.shape == (48, 48, 3) and s.image.dtype == np.uint8 and s.mask.shape == (1, 1)
        labels.append(int(s.mask[0, 0]))
    assert 0.4 < np.mean(labels) < 0.6  # half plates, half negatives
    only_plates = CropCheckSampler(plates, [], {}, size=48)
    assert all(only_plates.draw(rng).mask[0, 0] == 1 for _ in range(20))


def test_plate_crops_show_the_plate_in_their_middle(tmp_path):
    plates, _ = _records(tmp_path)  # a bright plate at (100, 150)–(200, 175) on noise
    sampler = CropCheckSampler(plates, [], {}, size=64, jitter=0.0, context=(2.0, 2.0))
    for seed in range(10):
        crop = sampler._crop(sampler.items[0][0], (100.0, 150.0, 200.0, 175.0), np.random.default_rng(seed))
        grey = crop.astype(np.float32).mean(axis=2)
        # the plate fills the middle half of the width and an eighth of the height
        assert grey[29:35, 18:46].mean() > grey[:16].mean() + 5, seed


def test_with_views_a_crop_is_a_strip_of_the_same_centre_ever_wider(tmp_path):
    plates, _ = _records(tmp_path)  # a bright plate at (100, 150)–(200, 175) on noise
    sampler = CropCheckSampler(plates, [], {}, size=64, jitter=0.0, context=(2.0, 2.0), views=(1.0, 2.5))
    crop = sampler._crop(sampler.items[0][0], (100.0, 150.0, 200.0, 175.0), np.random.default_rng(0))
    assert crop.shape == (128, 64, 3)
    narrow, wide = crop[:64].astype(np.float32).mean(axis=2), crop[64:].astype(np.float32).mean(axis=2)
    assert narrow[29:35, 18:46].mean() > narrow[:16].mean() + 5
    assert wide[31:33, 26:38].mean() > wide[:16].mean() + 5  # the same plate, 2.5 × smaller


def test_random_boxes_are_plate_shaped_and_inside_the_image():
    rng = np.random.default_rng(0)
    for _ in range(100):
        x1, y1, x2, y2 = _random_box((240, 320), rng)
        assert 0 <= x1 < x2 <= 320 + 1e-6 and 0 <= y1 < y2 <= 240 + 1e-6
        assert (x2 - x1) >= (y2 - y1)


def test_face_windows_are_face_shaped_and_random_windows_keep_off_the_faces_to_avoid(tmp_path):
    rng = np.random.default_rng(0)
    for _ in range(100):
        x1, y1, x2, y2 = face_window((240, 320), rng)
        assert 0 <= x1 < x2 <= 320 + 1e-6 and 0 <= y1 < y2 <= 240 + 1e-6
        assert 0.79 <= (y2 - y1) / (x2 - x1) <= 1.51 or y2 - y1 == 3.0
    face = (100, 60, 160, 130)
    faces = [Record(_scene(tmp_path / "f.png", face), 320, 240, faces=[list(face)])]
    scene = np.zeros((240, 320, 3), np.uint8)
    sampler = CropCheckSampler(faces, [scene], {}, objects=face_boxes, window=face_window, avoid={0: [face]})
    assert sampler.items and all(len(boxes) for _, boxes in sampler.items)
    hits = sum(_inside_any(sampler._free_window(0, rng), face) for _ in range(300))
    free = CropCheckSampler(faces, [scene], {}, objects=face_boxes, window=face_window)
    assert hits < sum(_inside_any(free._free_window(0, rng), face) for _ in range(300)) / 4


def _inside_any(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_classifier_gives_one_logit_and_trains_on_its_loss():
    model = build_model({"architecture": "classifier", "encoder": "mobilenet_v2"})
    x = torch.zeros(2, 3, 64, 64)
    logits = model(x)
    assert logits.shape == (2, 1)
    target = torch.tensor([1.0, 0.0]).view(2, 1, 1, 1)
    loss = LOSSES["classifier"](logits, target)
    loss.backward()
    assert loss.item() > 0 and model.head[1].weight.grad is not None


def test_a_two_view_classifier_sees_each_view_with_the_same_encoder():
    torch.manual_seed(0)
    cfg = {"architecture": "classifier", "encoder": "mobilenet_v2", "contexts": [2.0, 5.0]}
    model = build_model(cfg).eval()
    narrow, wide = torch.rand(3, 3, 64, 64), torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        logits = model(torch.cat([narrow, wide], dim=2))  # stacked top to bottom
        features = [model.encoder(v)[-1].mean(dim=(2, 3)) for v in (narrow, wide)]
        expected = model.head(torch.cat(features, dim=1))
    assert logits.shape == (3, 1)
    torch.testing.assert_close(logits, expected)


def test_a_widened_one_view_model_answers_as_it_did():
    torch.manual_seed(0)
    one = build_model({"architecture": "classifier", "encoder": "mobilenet_v2"}).eval()
    two = build_model({"architecture": "classifier", "encoder": "mobilenet_v2", "contexts": [2.0, 5.0]})
    two.load_state_dict(widened(dict(one.state_dict()), two), strict=True)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(two.eval()(torch.cat([x, torch.rand(2, 3, 64, 64)], dim=2)), one(x))


def test_a_covered_plate_hides_one_side_behind_another_scene_and_keeps_what_is_left():
    img = np.zeros((200, 300, 3), np.uint8)
    filler = np.full((120, 160, 3), 200, np.uint8)
    box = (100.0, 80.0, 200.0, 120.0)  # 100 × 40
    for seed in range(20):
        out, left = covered(img, box, filler, np.random.default_rng(seed))
        assert img.max() == 0  # the scene itself is untouched
        x1, y1, x2, y2 = left
        assert (x1, y1, x2, y2) != box and 100 <= x1 < x2 <= 200 and 80 <= y1 < y2 <= 120
        kept = (x2 - x1) * (y2 - y1) / 4000
        assert 0.55 - 1e-6 <= kept <= 0.85 + 1e-6  # 15-45 % hidden, from one side
        hidden = out[80:120, 100:200, 0] == 200
        assert hidden.any() and not hidden[int(y1) + 1:int(y2) - 1, int(x1) + 1:int(x2) - 1].any()


def test_with_covers_some_plates_and_some_negatives_are_drawn_partly_hidden(tmp_path, monkeypatch):
    import service.training.check_sampler as cs

    plates, _ = _records(tmp_path)
    scene = np.full((240, 320, 3), 250, np.uint8)
    sampler = CropCheckSampler(plates, [scene], {0: [(20.0, 20.0, 80.0, 40.0)]}, size=48, cover=1.0)
    calls = []

    def counting(*a):
        calls.append(1)
        return covered(*a)

    monkeypatch.setattr(cs, "covered", counting)
    rng = np.random.default_rng(0)
    labels = [int(sampler.draw(rng).mask[0, 0]) for _ in range(100)]
    plates_drawn, negatives = sum(labels), 100 - sum(labels)
    # every plate, and about half the negatives
    assert plates_drawn + 0.3 * negatives <= len(calls) <= plates_drawn + 0.7 * negatives


def test_hard_negatives_move_as_far_as_their_jitter_allows(tmp_path):
    plates, _ = _records(tmp_path)
    scene = np.full((240, 320, 3), 250, np.uint8)
    hard = (100.0, 100.0, 200.0, 140.0)

    def widest_shift(jitter: float) -> float:
        """The farthest a drawn negative's top edge moved (fragments cut an end, never the top)."""
        sampler = CropCheckSampler(plates, [scene], {0: [hard]}, size=48, positive_share=0.0,
                                   random_share=0.0, hard_jitter=jitter)
        tops = []
        sampler._crop = lambda img, box, rng: tops.append(box[1]) or np.zeros((48, 48, 3), np.uint8)
        rng = np.random.default_rng(0)
        for _ in range(300):
            assert sampler.draw(rng).mask[0, 0] == 0
        return max(abs(t - hard[1]) for t in tops)

    assert widest_shift(0.1) <= 0.1 * 40 + 1e-6
    assert 0.2 * 40 < widest_shift(0.25) <= 0.25 * 40 + 1e-6
