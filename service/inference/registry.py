"""The loaded model set: the detectors (CenterFace, the face finder, the plate finder) and their verifiers,
shared by every backend, plus per backend the segmentation models that shape what they found: a face
refiner and a plate shaper.

Backends are looked up by name (``models/<role>-<backend>/``); nothing branches on the architecture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from service.errors import ConfigurationError, InvalidOptionsError
from service.inference.devices import Compute
from service.inference.engines import make_engine
from service.inference.face_check import FaceVerifier
from service.inference.face_detector import CenterFace
from service.inference.model_files import FACE_DETECTOR, FACE_DETECTOR_INT8, read_config
from service.inference.plate_check import PlateVerifier
from service.inference.segmenters import FaceFinder, FaceRefiner, PlateFinder, PlateShaper

BACKENDS = ("unet", "deeplabv3plus")
FRAME_BATCH = {"cpu": 1, "cuda": 8}
"""Default video frames per detection run: batching buys nothing on a few CPU cores, feeds a GPU."""


@dataclass
class Backend:
    faces: FaceRefiner
    plates: PlateFinder  # the shared plate finder (``PLATE_FINDER``): detection is not the backend's
    plate_shapes: PlateShaper


@dataclass
class ModelSet:
    face_detector: CenterFace
    backends: dict[str, Backend]
    face_work_size: int = 960
    plate_work_size: int | None = None  # None: each plate model's own ``work_size``
    compute: Compute = field(default_factory=lambda: Compute("cpu", "onnx"))
    face_finder: FaceFinder | None = None  # second face proposal source (``models/face-finder``)
    face_finder_work_size: int | None = None  # None: the finder's own ``work_size``
    frame_batch: int = 1  # video frames detected per model run (batches feed a GPU)
    plate_verifier: PlateVerifier | None = None  # second opinion on plate proposals (models/plate-verifier)
    face_verifier: FaceVerifier | None = None  # second opinion on the face finder's own proposals

    def precisions(self) -> dict[str, str]:
        """Model → what it computes in here (int8, fp32, fp16): int8 only where exact on this CPU."""
        out = {"face-detector": self.face_detector.engine.precision}
        if self.face_finder is not None:
            out[FACE_FINDER] = self.face_finder.engine.precision
        if self.plate_verifier is not None:
            out[PLATE_VERIFIER] = self.plate_verifier.engine.precision
        if self.face_verifier is not None:
            out[FACE_VERIFIER] = self.face_verifier.engine.precision
        for name, backend in self.backends.items():
            out[PLATE_FINDER] = backend.plates.engine.precision  # the same finder in every backend
            for field_name, (role, _) in ROLES.items():
                out[f"{role}-{name}"] = getattr(backend, field_name).engine.precision
        return out

    def backend(self, name: str) -> Backend:
        if name not in self.backends:
            raise InvalidOptionsError(f"unknown backend; valid: {', '.join(sorted(self.backends))}")
        return self.backends[name]


# Backend field -> (model directory role, the class serving it); ``models/<role>-<backend>/``
ROLES = {"faces": ("faces", FaceRefiner), "plate_shapes": ("plate-shapes", PlateShaper)}


PLATE_FINDER = "plates-unet"
"""The one plate finder, a U-Net, for every backend, as CenterFace and the face finder are for faces: a
backend chooses how found objects are shaped, not what is found. Each backend once had its own finder;
the DeepLabV3+ one found fewer small plates (UC3M-LP test recall@0.8 0.965 against 0.9715 with this one,
docs/accuracy.md)."""
FACE_FINDER = "face-finder"
PLATE_VERIFIER = "plate-verifier"
FACE_VERIFIER = "face-verifier"


def load_role(model_dir: Path, role: str, cls, compute: Compute):
    cfg = read_config(model_dir)
    if cfg.get("role") != role:
        raise ConfigurationError(f"{model_dir} is not a {role} model")
    return cls(make_engine(compute, model_dir), cfg)


def load_backend(models_dir: Path, name: str, compute: Compute, plates: PlateFinder) -> Backend:
    return Backend(plates=plates, **{field_name: load_role(models_dir / f"{role}-{name}", role, cls, compute)
                                     for field_name, (role, cls) in ROLES.items()})


def load_models(models_dir: Path, backends: tuple[str, ...] = BACKENDS, compute: Compute | None = None,
                face_work_size: int = 960, plate_work_size: int | None = None,
                frame_batch: int | None = None, face_finder: bool = True,
                face_finder_work_size: int | None = None, plate_verifier: bool = True,
                face_verifier: bool = True) -> ModelSet:
    """Load every requested backend (and the face finder, its verifier and the plate verifier unless
    turned off) or fail: a missing model is a start-up error, never a silent skip."""
    models_dir = Path(models_dir)
    compute = compute or Compute("cpu", "onnx")
    plates = load_role(models_dir / PLATE_FINDER, "plates", PlateFinder, compute)
    return ModelSet(
        face_detector=CenterFace(models_dir / FACE_DETECTOR, compute, models_dir / FACE_DETECTOR_INT8),
        backends={b: load_backend(models_dir, b, compute, plates) for b in backends},
        face_work_size=face_work_size,
        plate_work_size=plate_work_size,
        compute=compute,
        frame_batch=frame_batch or FRAME_BATCH[compute.device],
        face_finder=load_role(models_dir / FACE_FINDER, FACE_FINDER, FaceFinder, compute) if face_finder
        else None,
        face_finder_work_size=face_finder_work_size,
        plate_verifier=load_role(models_dir / PLATE_VERIFIER, PLATE_VERIFIER, PlateVerifier, compute)
        if plate_verifier else None,
        face_verifier=load_role(models_dir / FACE_VERIFIER, FACE_VERIFIER, FaceVerifier, compute)
        if face_finder and face_verifier else None,
    )
