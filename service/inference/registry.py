"""The loaded model set: the face detector plus, per backend, a face refiner, a plate finder and shaper.

Backends are looked up by name (``models/<role>-<backend>/``); nothing branches on the architecture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from service.errors import ConfigurationError, InvalidOptionsError
from service.inference.devices import Runtime
from service.inference.engines import make_engine
from service.inference.face_detector import CenterFace
from service.inference.model_files import FACE_DETECTOR_INT8, read_config
from service.inference.segmenters import FaceRefiner, PlateFinder, PlateShaper

BACKENDS = ("unet", "deeplabv3plus")
FRAME_BATCH = {"cpu": 1, "cuda": 8}
"""Default video frames per detection run: batching buys nothing on a few CPU cores, feeds a GPU."""


@dataclass
class Backend:
    faces: FaceRefiner
    plates: PlateFinder
    plate_shapes: PlateShaper


@dataclass
class ModelSet:
    face_detector: CenterFace
    backends: dict[str, Backend]
    face_work_size: int = 960
    plate_work_size: int | None = None  # None: each plate model's own ``work_size``
    runtime: Runtime = field(default_factory=lambda: Runtime("cpu", "onnx"))
    frame_batch: int = 1  # video frames detected per model run (batches feed a GPU)

    def backend(self, name: str) -> Backend:
        if name not in self.backends:
            raise InvalidOptionsError(f"unknown backend; valid: {', '.join(sorted(self.backends))}")
        return self.backends[name]


# Backend field -> (model directory role, the class serving it); ``models/<role>-<backend>/``
ROLES = {"faces": ("faces", FaceRefiner), "plates": ("plates", PlateFinder),
         "plate_shapes": ("plate-shapes", PlateShaper)}


def load_backend(models_dir: Path, name: str, runtime: Runtime) -> Backend:
    parts = {}
    for field_name, (role, cls) in ROLES.items():
        model_dir = models_dir / f"{role}-{name}"
        cfg = read_config(model_dir)
        if cfg.get("role") != role:
            raise ConfigurationError(f"{model_dir} is not a {role} model")
        parts[field_name] = cls(make_engine(runtime, model_dir), cfg)
    return Backend(**parts)


def load_models(models_dir: Path, backends: tuple[str, ...] = BACKENDS, runtime: Runtime | None = None,
                face_work_size: int = 960, plate_work_size: int | None = None,
                frame_batch: int | None = None) -> ModelSet:
    """Load every requested backend or fail: a missing model is a start-up error, never a silent skip."""
    models_dir = Path(models_dir)
    runtime = runtime or Runtime("cpu", "onnx")
    return ModelSet(
        face_detector=CenterFace(runtime=runtime, int8=models_dir / FACE_DETECTOR_INT8),
        backends={b: load_backend(models_dir, b, runtime) for b in backends},
        face_work_size=face_work_size,
        plate_work_size=plate_work_size,
        runtime=runtime,
        frame_batch=frame_batch or FRAME_BATCH[runtime.device],
    )
