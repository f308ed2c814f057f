"""The settings reference (docs/configuration.md), generated from ``Settings`` so it cannot drift."""

from __future__ import annotations

from pydantic.fields import FieldInfo

from service.config import Settings
from service.inference.model_files import DEFAULT_MODELS_DIR

HEADER = """# Configuration

Veil reads its settings from environment variables (prefix `VEIL_`) once at start-up and validates them
all: an invalid value stops `veil serve`, `veil worker` and `veil redact` with one line per problem
(which variable, what is allowed), exit status 2. Lists are JSON (`VEIL_CALLBACK_HOSTS='["dms.internal"]'`).

Generated from `service/config.py` by `python -m service.settings_table > docs/configuration.md`
(a test checks it is current).

| Variable | Type | Default | Meaning |
|---|---|---|---|
"""


def _type(info: FieldInfo) -> str:
    text = str(info.annotation).replace("typing.", "").replace("pathlib.", "")
    text = text.replace("<class '", "").replace("'>", "").replace("pydantic.types.", "")
    bounds = [f"{k} {getattr(m, k)}" for m in info.metadata for k in ("ge", "gt", "le", "lt")
              if getattr(m, k, None) is not None]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _default(name: str, info: FieldInfo) -> str:
    value = info.default
    if name == "models_dir" and value == DEFAULT_MODELS_DIR:
        return "`models/` of the installation"
    if name == "jobs_dir":
        return "`veil-jobs` in the system temp dir"
    if value is None or value == ():
        return "none"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def table() -> str:
    rows = [f"| `VEIL_{name.upper()}` | {_type(info)} | {_default(name, info)} | {info.description} |"
            for name, info in Settings.model_fields.items()]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
