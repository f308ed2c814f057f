import numpy as np
import pytest

from service.core.redaction import MODES, redact
from service.geometry import Detection
from tests.conftest import gradient


def text_like(h=200, w=300) -> np.ndarray:
    """High-contrast stripes: the kind of detail a redaction must destroy."""
    img = np.full((h, w, 3), 230, np.uint8)
    img[:, ::6] = 10
    img[::7, :] = 10
    return img


@pytest.mark.parametrize("mode", sorted(MODES))
def test_mode_changes_only_the_masked_object(mode):
    img = text_like()
    mask = np.zeros((60, 120), bool)
    mask[10:50, 10:110] = True
    det = Detection("plates", 1.0, (100, 70, 220, 130), mask)
    out = redact(img, [det], mode)
    inside = out[80:120, 110:210].astype(int)
    original = img[80:120, 110:210].astype(int)
    assert np.abs(inside - original).mean() > 40
    assert inside.std() < original.std() / 3  # the stripes are gone, not just shifted
    untouched = np.ones(img.shape[:2], bool)
    untouched[70:130, 100:220] = False
    assert np.array_equal(out[untouched], img[untouched])


def test_fill_uses_the_colour():
    img = gradient()
    det = Detection("region", 1.0, (10, 10, 20, 20), np.ones((10, 10), bool))
    out = redact(img, [det], "fill", colour=(1, 2, 3))
    assert np.all(out[10:20, 10:20] == (1, 2, 3))


def test_blur_strength_scales_with_object_size():
    img = text_like(400, 400)
    small = Detection("faces", 1.0, (0, 0, 40, 40), np.ones((40, 40), bool))
    big = Detection("faces", 1.0, (100, 100, 400, 400), np.ones((300, 300), bool))
    out = redact(img, [small, big], "blur")
    assert out[10:30, 10:30].std() < img[10:30, 10:30].std() / 3
    assert out[200:300, 200:300].std() < 2.0  # a big face keeps no stripe structure at all


@pytest.mark.parametrize("feather", [0, 6])
def test_masked_pixels_are_fully_replaced_with_or_without_feathering(feather):
    img = text_like()
    mask = np.zeros((60, 120), bool)
    mask[10:50, 10:110] = True
    det = Detection("plates", 1.0, (100, 70, 220, 130), mask)
    out = redact(img, [det], "fill", feather=feather, colour=(1, 2, 3))
    assert (out[80:120, 110:210] == (1, 2, 3)).all()
    ring = out[72:78, 112:208]  # just outside the mask, inside the box
    changed = np.abs(ring.astype(int) - img[72:78, 112:208].astype(int)).sum()
    assert (changed > 0) == (feather > 0)  # only feathering blends outward


@pytest.mark.parametrize("feather", [0, 3])
def test_in_place_redaction_equals_the_copy_and_only_then_changes_the_input(feather):
    img = text_like()
    det = Detection("plates", 1.0, (100, 70, 220, 130), np.ones((60, 120), bool))
    copy = redact(img, [det], "blur", feather=feather)
    assert np.array_equal(img, text_like())  # the default leaves its input alone
    out = redact(img, [det], "blur", feather=feather, in_place=True)
    assert out is img and np.array_equal(out, copy)
