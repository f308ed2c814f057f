import numpy as np

from service.geometry import Detection, at_edge, crop_to, side_band, square_crops, union


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


def test_a_crop_beyond_the_image_is_grey_or_with_mirror_the_image_reflected_about_its_edge():
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[10:20, 0:6] = 255  # the visible end of something the left edge cuts
    box = (0.0, 10.0, 6.0, 20.0)  # context 4 × 10 px: a 40 px square from x = -17 to 23
    (grey, mirrored), _ = square_crops(rgb, [box, box], 40, 4.0, mirror=[False, True])
    assert (grey[:, :15] == 114).all()  # beyond the edge: grey
    bright = mirrored[:, :, 0] > 128
    assert bright[15:25, 12:22].all()  # the part itself ...
    assert bright[15:25, 17 - 5:17].all() and not bright[15:25, :10].any()  # ... and its mirror image


def test_a_box_is_at_the_edge_when_it_reaches_any_side():
    assert at_edge((0, 5, 10, 10), 60, 40) and at_edge((50, 5, 60, 10), 60, 40)
    assert at_edge((5, 0, 10, 10), 60, 40) and at_edge((5, 30, 10, 40), 60, 40)
    assert not at_edge((1, 1, 59, 39), 60, 40)


def test_a_side_band_hides_one_side_reaches_past_the_others_and_leaves_the_rest():
    box = (40.0, 20.0, 80.0, 40.0)  # 40 × 20
    assert side_band(box, 0, 0.3, 0.5) == ((20.0, 10.0, 100.0, 26.0), (40.0, 26.0, 80.0, 40.0))
    assert side_band(box, 1, 0.5, 0.0) == ((40.0, 30.0, 80.0, 40.0), (40.0, 20.0, 80.0, 30.0))
    assert side_band(box, 2, 0.25, 1.0) == ((0.0, 0.0, 50.0, 60.0), (50.0, 20.0, 80.0, 40.0))
    assert side_band(box, 3, 0.25, 0.5) == ((70.0, 10.0, 100.0, 50.0), (40.0, 20.0, 70.0, 40.0))
