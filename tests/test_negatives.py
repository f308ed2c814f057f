"""Plate-free scenes rendered in code: every kind, repeatable per seed, training and evaluation apart."""

import numpy as np
import pytest

from service.negatives import EVAL_SEED, KINDS, render


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_renders_an_rgb_image_the_same_for_a_seed(kind):
    a, b = render(kind, 3), render(kind, 3)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and min(a.shape[:2]) >= 200
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render(kind, EVAL_SEED + 3)) or a.shape != render(kind, EVAL_SEED + 3).shape
    assert a.std() > 5  # not a blank page


def test_documents_hold_dark_text_on_light_paper():
    page = render("letter", 11).astype(np.float32).mean(axis=2)
    assert np.median(page) > 120  # mostly paper (or a desk around it)
    assert (page < 100).mean() > 0.005  # and ink


def test_an_unknown_kind_lists_the_known_ones():
    with pytest.raises(ValueError, match="receipt"):
        render("selfie", 0)
