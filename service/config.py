"""Typed settings, validated at start-up (environment prefix ``VEIL_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.inference.engines import ENGINES
from service.inference.registry import BACKENDS

DEFAULT_MODELS = Path(__file__).resolve().parent.parent / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VEIL_", frozen=True)

    models_dir: Path = DEFAULT_MODELS
    backends: tuple[str, ...] = BACKENDS
    default_backend: str = "unet"
    engine: str = "onnx"
    threads: int = Field(2, ge=1, le=64)
    max_concurrency: int = Field(1, ge=1, le=64)
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    max_pixels: int = Field(50_000_000, ge=1024)
    face_work_size: int = Field(1280, ge=128, le=8192)
    log_level: str = "INFO"

    @field_validator("backends")
    @classmethod
    def _known_backends(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(v) - set(BACKENDS)
        if unknown or not v:
            raise ValueError(f"backends must be a non-empty subset of {BACKENDS}")
        return v

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        if v not in ENGINES:
            raise ValueError(f"engine must be one of {sorted(ENGINES)}")
        return v

    @field_validator("models_dir")
    @classmethod
    def _models_exist(cls, v: Path) -> Path:
        if not v.is_dir():
            raise ValueError(f"models_dir does not exist: {v}")
        return v
