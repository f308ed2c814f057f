"""Typed settings, validated at start-up (environment prefix ``VEIL_``)."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Ablation:
    """Parts of the product an evaluation may switch off or resize to measure what each is worth."""

    int8: bool = True  # the int8 exports, where exact on this CPU
    face_finder: bool = True  # the second face proposal source (masked and small faces)
    face_finder_work_size: int | None = None  # its long side (none: the model's)
    plate_verifier: bool = True  # the crop classifier that plate proposals must pass
    face_verifier: bool = True  # the crop classifier that the face finder's own proposals must pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEIL_", frozen=True)

    models_dir: Path = Field(DEFAULT_MODELS_DIR, description="Directory of the model files (read-only).")
    backends: tuple[str, ...] = Field(BACKENDS, description="Segmentation backends loaded at start.")
    default_backend: str = Field("unet", description="Backend of requests that name none.")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="cuda fails at start if no GPU is visible; auto picks it when one is.")
    engine: str = Field("auto", description="auto: ONNX Runtime on CPU, PyTorch (fp16) on CUDA.")
    threads: int = Field(2, ge=1, le=64, description="CPU threads per model run.")
    max_concurrency: int = Field(1, ge=1, le=64, description="Synchronous requests processed at once.")
    max_queue: int = Field(4, ge=0, le=256, description="Synchronous requests that may wait for a slot "
                                                        "(their uploads held in memory); more get 503 busy "
                                                        "with Retry-After at once.")
    max_wait_seconds: float = Field(30, gt=0, le=600, description="Longest wait for a slot before 503 busy.")
    request_timeout_seconds: float = Field(
        300, gt=0, le=3600, description="A synchronous request (upload, wait and processing) answering later "
                                        "gets 504 request-timeout; a short video stops at its next frame.")
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024, description="Largest /v1/redact body.")
    max_pixels: int = Field(50_000_000, ge=1024, description="Largest image, refused before decoding.")
    face_work_size: int = Field(960, ge=128, le=8192, description="Long side faces are detected at.")
    plate_work_size: int | None = Field(None, ge=128, le=8192,
                                        description="Long side plates are found at (none: the model's).")
    frame_batch: int | None = Field(None, ge=1, le=64,
                                    description="Video frames per model run (none: 1 on CPU, 8 on CUDA).")
    video_profile: str = Field(DEFAULT_PROFILE, description="Video profile of requests that name none: "
                                                            "fast, balanced or thorough.")
    log_level: str = Field("INFO", description="Python log level.")
    jobs_dir: Path = Field(Path(tempfile.gettempdir()) / "veil-jobs",
                           description="Job files (a shared volume when workers run apart).")
    job_ttl_seconds: float = Field(3600, gt=0, description="How long an undownloaded result is kept.")
    job_workers: int = Field(1, ge=1, le=16, description="Embedded queue: jobs run at once.")
    job_timeout_seconds: float | None = Field(None, gt=0, description="A job running longer fails and its "
                                                                      "files go (none: 20 s per second of "
                                                                      "the longest video allowed, + 600 s).")
    max_video_upload_bytes: int = Field(2 * 1024**3, ge=1024, description="Largest /v1/jobs upload.")
    max_video_seconds: float = Field(3600, gt=0, description="Longest video accepted.")
    max_video_pixels: int = Field(3840 * 2160, ge=1024, description="Largest video frame accepted.")
    max_sync_video_seconds: float = Field(20, ge=0, description="Longest video /v1/redact answers "
                                                                "directly (longer: use /v1/jobs).")
    queue: Literal["local", "redis"] = Field("local", description="local: jobs run in the API process; "
                                                                  "redis: in veil worker processes.")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis of the queue and job records.")
    job_lease_seconds: float = Field(30, ge=1, le=3600, description="Redis mode: a job whose worker has "
                                                                    "not renewed its lease this long fails.")
    callback_hosts: tuple[str, ...] = Field((), description="Hosts job completion callbacks may go to.")
    webhook_secret: SecretStr | None = Field(None, description="whsec_ secret that signs callbacks.")
    idempotency_ttl_seconds: float = Field(
        600, ge=0, description="Idempotency-Key on /v1/redact: how long a redacted answer is replayable "
                               "(0: off).")
    idempotency_max_bytes: int = Field(256 * 1024 * 1024, ge=0,
                                       description="Memory for replayable answers (oldest go first).")
    api_key_hashes: tuple[str, ...] = Field((), description="SHA-256 digests of accepted API keys "
                                                            "(veil hash-key); none: no key needed.")
    api_keys_file: Path | None = Field(None, description="File of more digests, one per line.")
    worker_metrics_port: int = Field(0, ge=0, le=65535,
                                     description="veil worker serves Prometheus metrics here (0: off).")

    def api_key_digests(self) -> frozenset[str]:
        """Every configured key digest (empty: keys not required)."""
        lines = self.api_keys_file.read_text(encoding="utf-8").splitlines() if self.api_keys_file else []
        return frozenset(self.api_key_hashes) | frozenset(_digests(lines))

    def load_models(self, backends: tuple[str, ...] | None = None, ablation: Ablation | None = None
                    ) -> ModelSet:
        """Every configured (or the given) backend, loaded once; any missing file fails here.
        ``ablation`` switches parts off, for evaluation only; serving always runs the whole product."""
        from service.inference.devices import resolve
        from service.inference.registry import load_models
        from service.memory import MALLOC_ARENAS, limit_malloc_arenas

        a = ablation or Ablation()
        limit_malloc_arenas(MALLOC_ARENAS)
        return load_models(self.models_dir, backends or self.backends,
                           resolve(self.device, self.engine, self.threads, a.int8),
                           self.face_work_size, self.plate_work_size, self.frame_batch, a.face_finder,
                           a.face_finder_work_size, a.plate_verifier, a.face_verifier)

    def job_timeout(self) -> float:
        return self.job_timeout_seconds or self.max_video_seconds * 20 + 600

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

    @field_validator("jobs_dir")
    @classmethod
    def _jobs_dir_writable(cls, v: Path) -> Path:
        probe = v
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not os.access(probe, os.W_OK | os.X_OK):
            raise ValueError("jobs_dir is not writable by this user")
        return v

    @field_validator("models_dir")
    @classmethod
    def _models_exist(cls, v: Path) -> Path:
        if not v.is_dir():
            raise ValueError(f"models_dir does not exist: {v}")
        return v
