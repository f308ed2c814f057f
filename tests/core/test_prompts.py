"""Prompt masks on images built in code: the object kind snaps a loose box to the object, points add and
cut, a lone click works, and nothing leaves the prompted box."""

import numpy as np
import pytest

from service.core.prompts import Prompt, outlines, segment_prompt
from service.errors import InvalidOptionsError


def scene() -> tuple[np.ndarray, np.ndarray]:
    """A red disc (the object) on green-grey noise, and its true mask."""
    rng = np.random.default_rng(0)
    rgb = (rng.normal(0, 12, (240, 320, 3)) + np.float64([90, 130, 90])).clip(0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:240, :320]
    disc = (xx - 150) ** 2 + (yy - 120) ** 2 <= 50**2
    rgb[disc] = (200, 40, 40)
    return rgb, disc


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_the_object_kind_snaps_a_loose_box_to_the_object(tiny_models):
    rgb, disc = scene()
    mask = segment_prompt(tiny_models, rgb, Prompt(box=(85, 55, 215, 185)), "unet")
    assert iou(mask, disc) > 0.9
    assert not mask[:, :85].any() and not mask[:, 215:].any()  # never outside the prompt


def test_a_lone_click_and_a_negative_click(tiny_models):
    rgb, disc = scene()
    click = segment_prompt(tiny_models, rgb, Prompt(points=((150, 120, 1),)), "unet")
    assert click[120, 150] and iou(click, disc) > 0.5
    both = rgb.copy()
    both[100:140, 260:300] = (200, 40, 40)  # a second red patch inside the box
    found = segment_prompt(tiny_models, both, Prompt(box=(80, 50, 310, 190)), "unet")
    assert found[120, 280] and found[120, 150]
    cut = segment_prompt(tiny_models, both, Prompt(box=(80, 50, 310, 190), points=((280, 120, 0),)), "unet")
    assert not cut[120, 280] and cut[120, 150]


def test_a_flat_box_is_masked_whole_fail_closed(tiny_models):
    rgb = np.full((100, 100, 3), 128, np.uint8)
    mask = segment_prompt(tiny_models, rgb, Prompt(box=(10, 20, 60, 70)), "unet")
    assert mask[20:70, 10:60].all() and mask.sum() == 50 * 50


@pytest.mark.parametrize("kind", ["faces", "plates"])
def test_model_kinds_stay_inside_the_box_and_never_return_nothing(tiny_models, kind):
    rgb, _ = scene()
    mask = segment_prompt(tiny_models, rgb, Prompt(box=(85, 55, 215, 185), kind=kind), "deeplabv3plus")
    assert mask.any() and not mask[:55].any() and not mask[185:].any()


def test_bad_prompts_are_refused(tiny_models):
    rgb, _ = scene()
    for prompt in (Prompt(points=((10, 10, 0),)), Prompt(box=(400, 400, 500, 500)),
                   Prompt(kind="logo", box=(0, 0, 9, 9))):
        with pytest.raises(InvalidOptionsError):
            segment_prompt(tiny_models, rgb, prompt, "unet")


def test_outlines_cover_the_mask():
    import cv2

    _, disc = scene()
    polys = outlines(disc)
    assert len(polys) == 1
    filled = np.zeros(disc.shape, np.uint8)
    cv2.fillPoly(filled, [np.int32(p) for p in polys], 1)
    assert iou(filled.astype(bool), disc) > 0.97
