"""The request options reference (docs/options.md), generated from ``RedactParams`` so it cannot drift.

The same declaration drives validation, the OpenAPI parameters and the CLI flags.
"""

from __future__ import annotations

from typing import Any

from service.api.openapi_spec import option_schemas

HEADER = """# Request options

Every option of `/v1/redact`, `/v1/analyze` and `/v1/jobs`, as a multipart field next to `file` or as a
query parameter with a raw body; `veil redact` takes the same options as flags (`--dilation-px 4`).
An invalid option gives `422 /problems/invalid-options` naming the field, never echoing its value.
Large `regions`/`ignore` lists belong in the multipart body: request lines over 16 KiB get `414`.

Generated from `service/core/params.py` by `python -m service.options_table > docs/options.md`
(a test checks it is current).

| Option | CLI flag | Type | Default | Meaning |
|---|---|---|---|---|
"""


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    bounds = [f"{sign} {schema[k]}" for k, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"),
                                                     ("maximum", "≤"), ("exclusiveMaximum", "<"))
              if k in schema]
    return schema.get("type", "string") + (f" ({', '.join(bounds)})" if bounds else "")


def _default(schema: dict[str, Any]) -> str:
    return f"`{schema['default']}`" if "default" in schema else "see meaning"


def table() -> str:
    rows = [f"| `{name}` | `--{name.replace('_', '-')}` | {_type(s)} | {_default(s)} | "
            f"{s.get('description', '')} |" for name, s in option_schemas().items()]
    return HEADER + "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
