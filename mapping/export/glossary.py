"""The audit pack's glossary of terms and methods, and its data-limitations section.

:data:`GLOSSARY` is plain words for a reader who is not a statistician.
:func:`data_limitations` says, from the run's own layers, what limits the
data: police.uk's anonymisation, records without a location, incomplete
periods, small numbers, boundary vintages, and the disclosure control applied.
"""

from __future__ import annotations

__all__ = ["GLOSSARY", "data_limitations"]

GLOSSARY = [
    ("Base n", "The number of records (events, people) a figure is built from. Small base "
               "numbers make percentages and rates unstable."),
    ("Rate per 10,000", "Events per 10,000 residents of an area: the count divided by the "
                        "population, times 10,000. It lets areas of different sizes be "
                        "compared."),
    ("Confidence interval (95% CI)", "The range within which the true value is likely to lie "
     "(95 times in 100). Rates use Public Health England's method: exact Poisson limits below "
     "10 events, Byar's approximation from 10; shares use Wilson's interval. A wide interval "
     "means the figure is uncertain; two areas whose intervals overlap may not really differ."),
    ("IMD deciles", "The English Indices of Deprivation rank every LSOA in England from most "
     "to least deprived; decile 1 is the most deprived 10%. 'The 20% most deprived' means "
     "deciles 1 and 2 nationally."),
    ("LSOA, MSOA, ward", "Lower and Middle Layer Super Output Areas (about 1,500 and 7,500 "
     "residents) and electoral wards: the ONS statistical and administrative geographies "
     "results are counted in. Boundaries change (LSOAs 2011 and 2021, wards after reviews)."),
    ("Kernel density (KDE)", "A smooth surface of how densely events cluster, in events per "
     "km²: each event spreads over a circle of the bandwidth (search radius). Larger "
     "bandwidths give smoother maps; sensitive records use at least 200 m."),
    ("Gi* (Getis-Ord hot spots)", "Compares each area and its neighbours with the whole "
     "study area. A hot spot is a group of high values larger than chance would give, at "
     "90%, 95% or 99% confidence."),
    ("LISA (Local Moran's I)", "Finds clusters of similar values (High-High, Low-Low) and "
     "outliers (High-Low, Low-High) by comparing each area with its neighbours, tested by "
     "random permutation."),
    ("FDR (false discovery rate)", "When many areas are tested at once, some look "
     "significant by chance. The Benjamini-Hochberg correction keeps the expected share of "
     "false hot spots at the stated level."),
    ("Funnel plot", "Each area's rate plotted against its population, with control limits "
     "that narrow as populations grow. Areas outside the 99.8% limits differ from the "
     "average by more than chance would explain."),
    ("PAI (predictive accuracy index)", "How well a hotspot map predicts later events: the "
     "share of later events inside the hotspots divided by the share of the area they "
     "cover (Chainey, Tompson and Uhlig 2008). Above 1 is better than chance."),
    ("2SFCA (two-step floating catchment area)", "A measure of access to services that "
     "weighs each service's capacity against the population that can reach it within the "
     "catchment distance."),
    ("EB smoothing (empirical Bayes)", "Rates of small areas pulled towards the overall (or "
     "local) rate in proportion to how unreliable they are, so one or two events do not make "
     "an area look extreme."),
    ("Rate ratio", "One rate divided by another (this year against last, an area against "
     "the average). 1 means no difference."),
    ("Disclosure control", "Counts from 1 to the threshold minus 1 are shown as \"<5\"; a "
     "cell hidden so that a total cannot give a small count back is shown as \"suppressed\"; "
     "raw locations of sensitive records are never published."),
]


def _level_titles(layers) -> list[str]:
    from mapping.render.styling import layer_title

    out = []
    for lyr in layers:
        if (lyr.source or {}).get("boundaries") and lyr.kind == "areas":
            t = layer_title(lyr)
            if t not in out:
                out.append(t if t != lyr.name else f"'{lyr.name}' (vintage not detected)")
    return out


def data_limitations(layers, project_meta: dict | None = None, *, rule_lines=(),
                     fragile_sections=(), hidden_cells: int = 0) -> list[str]:
    """Paragraphs on what limits the data of this run (see the module docstring)."""
    meta = project_meta or {}
    layers = list(layers)
    out = []
    kinds = {(lyr.meta or {}).get("record_kind") for lyr in layers if lyr.kind == "points"}
    if "police_uk" in kinds or "stop_search" in kinds:
        out.append("police.uk locations are anonymised: each record is moved to the nearest "
                   "of a fixed set of 'snap points' (the centre of a street or a public "
                   "place), so many records stack on one point and points near a boundary "
                   "may fall in the neighbouring area. Results at street level, and for "
                   "small areas, should be read with that in mind. Outcomes are updated "
                   "after publication.")
    loads = meta.get("loads") or {}
    lost = [(n, d) for n, d in loads.items() if d.get("rejected")]
    if lost:
        parts = []
        for n, d in lost:
            why = "; ".join(f"{v:,} {k}" for k, v in list((d.get("reasons") or {}).items())[:3])
            parts.append(f"{n}: {d['rejected']:,} of {d['read']:,} rows"
                         + (f" ({why})" if why else ""))
        out.append("Records without a usable location (or otherwise unreadable) were left "
                   "out of the maps and counts: " + "; ".join(parts) + ". They are listed, "
                   "with reasons, in the run's rejected-rows files.")
    incomplete = [((lyr.meta or {}).get("title") or lyr.name) for lyr in layers
                  if any("incomplete" in str(n).lower() for n in (lyr.meta or {}).get("notes")
                         or [])]
    if incomplete:
        out.append("Incomplete periods: " + "; ".join(dict.fromkeys(incomplete)) + " compare "
                   "periods not fully covered by the data; they are compared per day of data, "
                   "and the notes of each say which.")
    periods = sorted({str((lyr.meta or {}).get("period")) for lyr in layers
                      if (lyr.meta or {}).get("period")})
    if periods:
        out.append("Periods covered: " + "; ".join(periods) + ".")
    if fragile_sections:
        out.append("Small numbers: in " + ", ".join(fragile_sections) + ", many areas have "
                   "fewer events than the disclosure threshold, or intervals wider than the "
                   "figure, so differences between areas may be chance; each section's "
                   "findings say so.")
    levels = _level_titles(layers)
    if levels:
        out.append("Boundaries: " + ", ".join(levels) + ". Counts are for these vintages; "
                   "population and deprivation figures must be of the same vintage (LSOAs "
                   "2011 and 2021 differ, and wards change after boundary reviews).")
    hidden = f" In the tables of this pack, {hidden_cells:,} cells are hidden." \
        if hidden_cells else ""
    out.append("Disclosure control was applied to every map, table and chart." + hidden
               + " " + " ".join(rule_lines))
    return out
