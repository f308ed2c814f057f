import numpy as np

from service.core.detections import Detection, union


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
