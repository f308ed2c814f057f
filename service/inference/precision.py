"""Which precision a model is served at on this CPU: its int8 export only where that is exact here.

ONNX Runtime multiplies uint8 activations by int8 weights. CPUs with VNNI (AVX512-VNNI, AVX-VNNI) sum
the products in 32 bits; AVX2 CPUs without it add pairs of products in a 16-bit intermediate, which
saturates for full 8-bit weights, so the same file answers differently (and worse) there. Exports made
with 7-bit weights (``weight_bits: 7`` in the model's config, ``veil quantize``) cannot saturate and give
bit-identical results on every x86-64 CPU; an 8-bit export is served only where the CPU has VNNI, and
the float model elsewhere, with one log line saying so.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger("veil.models")

PORTABLE_WEIGHT_BITS = 7
VNNI_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``; empty where it is not readable)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def has_vnni(flags: frozenset[str] | None = None) -> bool:
    return bool(set(VNNI_FLAGS) & (cpu_flags() if flags is None else flags))


def int8_is_exact(int8_record: dict[str, Any] | None, flags: frozenset[str] | None = None) -> bool:
    """Whether an int8 export (its ``int8`` config record) computes exactly on this CPU."""
    if not int8_record:
        return False
    bits = int(int8_record.get("weight_bits", 8))
    return bits <= PORTABLE_WEIGHT_BITS or has_vnni(flags)


def serve_int8(name: str, int8_file: Path, int8_record: dict[str, Any] | None,
               flags: frozenset[str] | None = None) -> bool:
    """Serve ``int8_file`` for model ``name``? False, with one warning, where it would saturate here."""
    if not Path(int8_file).is_file():
        return False
    if int8_is_exact(int8_record, flags):
        return True
    log.warning("%s: its int8 export has 8-bit weights and this CPU has no VNNI; serving the float model",
                name)
    return False
