"""Which column of an area layer holds its area codes."""

from __future__ import annotations

__all__ = ["area_code_field"]


def area_code_field(layer, pool) -> str | None:
    """The area-code column of an area layer (a boundary's, or a result's own)."""
    meta = layer.meta or {}
    data = layer.data
    cols = list(getattr(data, "columns", []))
    for c in (meta.get("code_field"), (meta.get("params") or {}).get("area_id"),
              meta.get("area_id")):
        if c and c in cols:
            return c
    for inp in meta.get("inputs") or []:
        if inp.get("kind") == "areas":
            src = next((lyr for lyr in pool if lyr.name == inp.get("layer")), None)
            c = (src.meta or {}).get("code_field") if src is not None else None
            if c and c in cols:
                return c
    for c in ("code", "area_code", "cell_id"):
        if c in cols:
            return c
    return next((c for c in cols if str(c).upper().endswith("CD")), None)
