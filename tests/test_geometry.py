import numpy as np

from service.geometry import Detection, crop_to, union


def test_union_covers_every_pixel_of_its_parts_and_nothing_else():
    a = Detection("faces", 0.4, (10, 10, 20, 20), np.ones((10, 10), bool))
    m = np.zeros((5, 10), bool)
    m[:, :3] = True
    b = Detection("faces", 0.9, (15, 30, 25, 35), m)
    u = union([a, b])
    assert u.box == (10, 10, 25, 35) and u.score == 0.9 and u.mask.shape == (25, 15)
    assert u.mask.sum() == 100 + 15
    assert u.mask[0:10, 0:10].all() and u.mask[20:25, 5:8].all() and not u.mask[20:25, 8:].any()
    assert union([a]) is a


def test_crop_to_places_a_mask_in_a_window_and_cuts_what_falls_outside():
    det = Detection("faces", 0.9, (10, 20, 14, 23), np.ones((3, 4), bool))
    out = crop_to(det, (12, 18, 20, 22))  # overlaps x 12..14, y 20..22
    assert out.shape == (4, 8) and out.sum() == 2 * 2 and out[2:4, 0:2].all()
    assert not crop_to(det, (30, 30, 40, 40)).any()
