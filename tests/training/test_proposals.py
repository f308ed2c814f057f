import numpy as np

from service.datasets import Record
from service.training.proposals import aligned_boxes, false_positives


def _record(name, faces):
    return Record(image=name, width=200, height=200, faces=faces)


def test_crops_follow_the_detector_box_inside_the_annotated_face():
    records = [_record("a.png", [[0, 0, 100, 140]]), _record("b.png", [[0, 0, 50, 50]])]
    found = {"a.png": np.float32([[150, 150, 190, 190, 0.9], [20, 10, 80, 80, 0.7], [25, 15, 75, 75, 0.5]]),
             "b.png": np.float32([[120, 120, 160, 160, 0.9]])}
    boxes = aligned_boxes(records, found)
    assert boxes == {"a.png": [20.0, 10.0, 80.0, 80.0]}  # best score among proposals centred in the face


def test_false_positives_are_far_from_every_labelled_face_and_not_tiny():
    records = [_record("a.png", [[0, 0, 40, 40]])]
    found = {"a.png": np.float32([
        [5, 5, 35, 35, 0.9],  # the labelled face
        [42, 0, 70, 30, 0.2],  # beside it: within the 50 % margin, not a sure negative
        [120, 120, 160, 160, 0.15],  # far away: a false positive
        [150, 10, 154, 14, 0.3],  # under 8 px: ignored
    ])}
    assert false_positives(records, found) == {"a.png": [[120.0, 120.0, 160.0, 160.0]]}
