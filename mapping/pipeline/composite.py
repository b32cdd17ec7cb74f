"""``composite``: one hotspot map of several record layers, each with a weight."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.core.meta import record_subject, word_list
from mapping.pipeline import Input, Output, Param, REQUIRED, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, STREET
from mapping.pipeline.inputs import records
from mapping.pipeline.params import BANDWIDTH, BOUNDARY, CELL_SIZE, KERNEL


# -------------------------------------------------------------- composite
@analysis(
    "composite", strand="supply", uses_dates=False, label="Composite hotspot index",
    about=("Combines several record layers (e.g. arrests, needle finds, crack houses) into one "
           "weighted density surface."),
    order=25, menu="hotspots", title="Composite hotspots",
    out_formats=(".gpkg", ".tif", ".tiff"),
    summary="composite hotspot map: several layers' KDEs normalised and combined with weights",
    description="""\
The Home Office audit's "composite GIS hotspot map": each record layer gets a
KDE on one shared grid; each surface is normalised (max: divided by its
highest cell [default]; percentile: rank among the cells with events; zscore:
standardised, negatives set to 0) and the layers are averaged with weights
(default 1 each).  On the command line, --layer NAME=FILE (repeat; several
files for one layer as NAME=FILE1,FILE2), --layer-weight NAME=W and
--layer-filter NAME=EXPR.  A GeoPackage output has, in every cell, the
composite and each layer's normalised value (<name>_norm) and contribution
share (<name>_share, summing to 1); a GeoTIFF has the composite.""",
    inputs=[Input("layers", "records", "Record layers", "The record layers to combine, "
                  "each with a weight (how much it counts in the composite).", many=True,
                  named=True, weighted=True, fewest=2),
            BOUNDARY],
    params=[
        Param("weights", "mapping", "Layer weights", "How much each layer counts, e.g. "
              "needle_finds = 2. Blank: 1 each.", cli="--layer-weight"),
        Param("filters", "mapping", "Layer filters", "A filter expression per layer, e.g. "
              "drugs = crime_type == 'Drugs'.", cli="--layer-filter", advanced=True),
        CELL_SIZE.but(default=REQUIRED), BANDWIDTH.but(default=REQUIRED), KERNEL,
        Param("normalise", "choice", "Scale each layer by", "max: each layer's peak = 1; "
              "percentile: each cell's rank among cells with events; zscore: standardised, "
              "negatives set to 0.", default="max", choices=("max", "percentile", "zscore")),
    ],
    outputs=[Output("", "surface", "composite surface", formats=(".tif", ".tiff")),
             Output("_cells", "grid", "each layer's share per cell", formats=(".gpkg",))],
    examples=[f"composite --layer drugs={STREET} --layer-filter \"drugs=crime_type == "
              "'Drugs'\" --layer asb=" + STREET + " --layer-filter \"asb=crime_type == "
              "'Anti-social behaviour'\" --layer-weight drugs=2 --cell-size 100 --bandwidth 400 "
              f"--boundary {BRISTOL} --out composite.gpkg"],
)
def composite_step(ctx, *, layers, boundary, weights, filters, cell_size, bandwidth, kernel,
                   normalise, name):
    """Composite hotspot map of several record layers with weights."""
    from mapping.stats.composite import composite_layers

    names = list(layers)
    given = {**(layers if isinstance(layers, dict) else {}), **(weights or {})}
    weights = {n: float(given.get(n, 1.0)) for n in names}
    if any(w < 0 for w in weights.values()) or not sum(weights.values()) > 0:
        raise ProjectError(f"the layer weights must be 0 or more, not all 0 ({weights})",
                           fix=f"check {term('weights')}")
    data = {n: records(ctx, n, (filters or {}).get(n), param="layers")[0] for n in names}
    bw, raised = ctx.policy.kde_bandwidth(bandwidth, ctx.sensitive(names))
    res = composite_layers(data, cell_size=cell_size, bandwidth=bw, kernel=kernel,
                           boundary=ctx.data(boundary) if boundary else None,
                           weights=weights, normalise=normalise)
    m = res.surface.meta
    # each layer as its subject ("Arrests", "Drugs offences"), not its name in the project
    listed = word_list(record_subject([ctx.meta.get(n, {}).get("record_kind") or "generic"],
                                      (filters or {}).get(n), label=n) for n in names)
    meta = {"title": "Composite hotspots: " + listed, "units": res.surface.units,
            "method": m["method"], "value_column": "composite",
            "params": {"normalise": normalise, "weights": m["weights"], "kernel": kernel,
                       "bandwidth_m": bw, "cell_size_m": cell_size},
            "base_n": m["base_n"], "notes": [raised] if raised else [],
            "subject": "Composite of " + listed, "style": {"cmap": "YlOrRd"},
            "summary": [f"composite of {', '.join(names)} ({m['normalise']} normalisation, "
                        f"weights {m['weights']})"]}
    return [StepOutput(name, res.surface, "surface", meta),
            StepOutput(f"{name}_cells", res.to_cells(), "grid",
                       {**meta, "title": meta["title"] + " (layer shares per cell)",
                        "summary": []})]
