"""Typed settings, validated at start-up (environment prefix ``VEIL_``)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.core.profiles import DEFAULT_PROFILE, PROFILES
from service.inference.engines import ENGINES
from service.inference.model_files import DEFAULT_MODELS_DIR
from service.inference.registry import BACKENDS, ModelSet
from service.media.video import VideoLimits

_DIGEST = re.compile(r"[0-9a-f]{64}")


def _digests(lines: list[str]) -> list[str]:
    """Digests of an API keys file: one per line; blank lines and ``#`` comments skipped."""
    found = [line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if any(not _DIGEST.fullmatch(d) for d in found):
        raise ValueError("api_keys_file must hold one SHA-256 hex digest per line (veil hash-key)")
    return found


def problems_of(exc: ValidationError) -> list[str]:
    """One line per invalid setting: its variable and what is allowed (never the value given)."""
    lines = []
    for err in exc.errors():
        name = "VEIL_" + "_".join(str(p) for p in err["loc"][:1]).upper() if err["loc"] else "settings"
        msg = err["msg"].removeprefix("Value error, ")
        lines.append(f"invalid setting {name}: {msg}")
    return lines


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEIL_", frozen=True)

    models_dir: Path = DEFAULT_MODELS_DIR
    backends: tuple[str, ...] = BACKENDS
    default_backend: str = "unet"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    engine: str = "auto"  # auto: ONNX Runtime on CPU, PyTorch (fp16) on CUDA
    # ONNX Runtime: serve each model's int8 export (model.int8.onnx, face-detector/centerface.int8.onnx)
    # where present; chosen by measurement (same dev-split recall, faster: docs/benchmarks.md)
    int8: bool = True
    threads: int = Field(2, ge=1, le=64)
    max_concurrency: int = Field(1, ge=1, le=64)
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_pixels: int = Field(50_000_000, ge=1024)
    face_work_size: int = Field(960, ge=128, le=8192)
    plate_work_size: int | None = Field(None, ge=128, le=8192)
    # second face proposal source beside CenterFace (models/face-finder): masked and small faces
    face_finder: bool = True
    face_finder_work_size: int | None = Field(None, ge=128, le=8192)  # None: the model's (512)
    # video frames detected per model run; None: the device's default (1 on CPU, 8 on CUDA)
    frame_batch: int | None = Field(None, ge=1, le=64)
    # video profile when a request names none (service.core.profiles): fast, balanced, thorough
    video_profile: str = DEFAULT_PROFILE
    log_level: str = "INFO"
    # glibc malloc arenas (0 = glibc's default of 8 per core): a cap keeps long videos' RSS flat
    malloc_arenas: int = Field(2, ge=0, le=64)

    jobs_dir: Path = Path(tempfile.gettempdir()) / "veil-jobs"
    job_ttl_seconds: float = Field(3600, gt=0)
    job_workers: int = Field(1, ge=1, le=16)
    max_video_upload_bytes: int = Field(2 * 1024**3, ge=1024)
    max_video_seconds: float = Field(3600, gt=0)
    max_video_pixels: int = Field(3840 * 2160, ge=1024)
    max_sync_video_seconds: float = Field(20, ge=0)
    queue: Literal["local", "redis"] = "local"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Redis mode: a worker renews its lease on a running job this often ×3; a lapsed lease fails the job
    job_lease_seconds: float = Field(30, ge=1, le=3600)
    callback_hosts: tuple[str, ...] = ()
    webhook_secret: SecretStr | None = None
    # API keys: SHA-256 hex digests (``veil hash-key``), inline and/or one per line in a file (a Secret)
    api_key_hashes: tuple[str, ...] = ()
    api_keys_file: Path | None = None
    # ``veil worker`` serves Prometheus metrics on this port (0: none)
    worker_metrics_port: int = Field(0, ge=0, le=65535)

    def api_key_digests(self) -> frozenset[str]:
        """Every configured key digest (empty: keys not required)."""
        lines = self.api_keys_file.read_text(encoding="utf-8").splitlines() if self.api_keys_file else []
        return frozenset(self.api_key_hashes) | frozenset(_digests(lines))

    def load_models(self, backends: tuple[str, ...] | None = None, plate_verifier: bool = True) -> ModelSet:
        """Every configured (or the given) backend, loaded once; any missing file fails here.
        ``plate_verifier=False`` only for evaluation (the ablation)."""
        from service.inference.devices import resolve
        from service.inference.registry import load_models
        from service.memory import limit_malloc_arenas

        limit_malloc_arenas(self.malloc_arenas)

        return load_models(self.models_dir, backends or self.backends,
                           resolve(self.device, self.engine, self.threads, self.int8),
                           self.face_work_size, self.plate_work_size, self.frame_batch, self.face_finder,
                           self.face_finder_work_size, plate_verifier)

    def video_limits(self) -> VideoLimits:
        return VideoLimits(max_seconds=self.max_video_seconds, max_pixels=self.max_video_pixels)

    @model_validator(mode="after")
    def _callbacks_need_a_secret(self) -> Settings:
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if self.callback_hosts and (not secret.startswith("whsec_") or len(secret) < 30):
            raise ValueError("callback_hosts needs webhook_secret='whsec_<base64 of >= 24 random bytes>'")
        return self

    @field_validator("api_key_hashes")
    @classmethod
    def _are_digests(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        v = tuple(d.strip().lower() for d in v)
        if any(not _DIGEST.fullmatch(d) for d in v):
            raise ValueError("api_key_hashes must be SHA-256 hex digests (veil hash-key prints one)")
        return v

    @field_validator("api_keys_file")
    @classmethod
    def _readable_digests(cls, v: Path | None) -> Path | None:
        if v is None:
            return v
        if not v.is_file():
            raise ValueError("api_keys_file does not exist")
        _digests(v.read_text(encoding="utf-8").splitlines())
        return v

    @field_validator("backends")
    @classmethod
    def _known_backends(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(v) - set(BACKENDS)
        if unknown or not v:
            raise ValueError(f"backends must be a non-empty subset of {BACKENDS}")
        return v

    @field_validator("video_profile")
    @classmethod
    def _known_profile(cls, v: str) -> str:
        if v not in PROFILES:
            raise ValueError(f"video_profile must be one of {sorted(PROFILES)}")
        return v

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        if v != "auto" and v not in ENGINES:
            raise ValueError(f"engine must be auto or one of {sorted(ENGINES)}")
        return v

    @field_validator("models_dir")
    @classmethod
    def _models_exist(cls, v: Path) -> Path:
        if not v.is_dir():
            raise ValueError(f"models_dir does not exist: {v}")
        return v
