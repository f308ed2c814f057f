import cv2
import numpy as np

from tests.conftest import FIXTURES, fixture_faces


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_centerface_finds_the_annotated_faces(tiny_models):
    for name, boxes in fixture_faces().items():
        rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB)
        found = tiny_models.face_detector.detect(rgb, 0.4, 1280)
        for box in boxes:
            assert max(iou(box, f) for f in found) > 0.3, name


def test_no_faces_on_a_flat_image(tiny_models):
    assert len(tiny_models.face_detector.detect(np.full((240, 320, 3), 90, np.uint8), 0.4, 1280)) == 0


def test_torch_engine_face_detector_matches_onnx_runtime():
    """The CUDA path's engine (CenterFace converted with onnx2torch), checked on the CPU."""
    from service.inference.devices import Compute
    from service.inference.face_detector import CenterFace

    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / "street_faces_809.jpg")), cv2.COLOR_BGR2RGB)
    a = CenterFace(compute=Compute("cpu", "onnx", 1)).detect(rgb, 0.3, 960)
    b = CenterFace(compute=Compute("cpu", "torch", 1)).detect(rgb, 0.3, 960)
    assert len(a) == len(b) > 0
    assert np.abs(a - b).max() < 0.5  # pixels / score


def test_only_the_image_is_a_graph_input_so_weights_fold():
    from service.inference.devices import Compute
    from service.inference.face_detector import CenterFace

    inputs = CenterFace(compute=Compute("cpu", "onnx", 1)).engine.session.get_inputs()
    assert [i.name for i in inputs] == ["input.1"]


def test_the_committed_int8_detector_is_served_only_when_asked_and_finds_the_same_faces():
    from service.inference.devices import Compute
    from service.inference.face_detector import CenterFace
    from service.inference.model_files import FACE_DETECTOR_INT8
    from tests.conftest import MODELS

    path = MODELS / FACE_DETECTOR_INT8
    fp32 = CenterFace(compute=Compute("cpu", "onnx", 1), int8=path)
    int8 = CenterFace(compute=Compute("cpu", "onnx", 1, int8=True), int8=path)
    assert fp32.source != path and int8.source == path
    for name, boxes in fixture_faces().items():
        rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB)
        found = int8.detect(rgb, 0.4, 1280)
        for box in boxes:
            assert max(iou(box, f) for f in found) > 0.3, name


def test_quantize_faces_writes_an_int8_detector_that_still_finds_faces(tmp_path):
    import json
    import shutil

    from service.inference.devices import Compute
    from service.inference.face_detector import CenterFace
    from service.training.quantize import quantize_centerface

    data = tmp_path / "data"
    data.mkdir()
    rows = []
    for name in fixture_faces():
        shutil.copy(FIXTURES / name, data / name)
        rows.append(json.dumps({"image": name, "width": 1, "height": 1, "split": "train"}))
    (data / "annotations.jsonl").write_text("\n".join(rows) + "\n")
    path = quantize_centerface(tmp_path / "face-detector", [data], images=3, work_size=640)
    assert json.loads((path.parent / "config.json").read_text())["int8"]["images"] == 3
    detector = CenterFace(compute=Compute("cpu", "onnx", 1, int8=True), int8=path)
    name, boxes = next(iter(fixture_faces().items()))
    found = detector.detect(cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB), 0.4, 1280)
    assert max(iou(boxes[0], f) for f in found) > 0.3


def test_mirrored_edges_find_faces_cut_by_the_frame_edge(default_models):
    """Fixture faces at half size, cut by the left frame edge: wherever the unpadded pass proposes one,
    the mirrored-edge pass (video) does too, and it also proposes two that keep only 30 % of their
    width, which the unpadded pass misses."""
    from service.inference.face_detector import EDGE_PAD

    detector = default_models.face_detector
    only_mirrored = 0
    for name, boxes in fixture_faces().items():
        rgb = cv2.resize(cv2.cvtColor(cv2.imread(str(FIXTURES / name)), cv2.COLOR_BGR2RGB), None,
                         fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        for x1, y1, x2, y2 in (np.asarray(b) / 2 for b in boxes):
            for cut in (0.4, 0.55, 0.7):
                left = int(x1 + cut * (x2 - x1))
                frame = np.ascontiguousarray(rgb[:, left:])
                plain, mirrored = (
                    any(b[0] <= 2 and b[2] >= 0.6 * (x2 - left) and b[1] < y2 and b[3] > y1
                        for b in detector.detect_many([frame], 0.3, 640, pad)[0])
                    for pad in (0.0, EDGE_PAD))
                assert mirrored or not plain, (name, cut)
                only_mirrored += mirrored and not plain
    assert only_mirrored >= 2
