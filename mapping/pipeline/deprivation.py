"""Deprivation analyses: ``deprivation``, and the IMD inputs and lookups the others share.

The other deprivation analyses are :mod:`~mapping.pipeline.concentration` and
:mod:`~mapping.pipeline.disproportion`; :mod:`~mapping.pipeline.access` uses the IMD too.

Example project entries::

    [[analyses]]
    name = "deprivation"
    kind = "deprivation"
    [analyses.params]
    areas = "lsoa"                  # LSOAs with imd_decile (and imd_score, population)
    points = ["arrests", "needle_finds"]
    wards = "wards"                 # optional: ward deprivation, national cut-offs
    imd = ["imd2019_deciles.csv", "imd2019_scores.csv"]   # the national file(s)

    [[analyses]]                    # wards (or any areas built from LSOAs) on their own
    name = "ward_deprivation"
    kind = "deprivation"
    [analyses.params]
    areas = "wards"
    lsoas = "lsoa"
    imd = ["imd2019_deciles.csv", "imd2019_scores.csv"]
"""

from __future__ import annotations

import pandas as pd

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, IMD_FILES, POP_FLAGS, WARDS
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import layer_names, project_path, records
from mapping.pipeline.params import AREAS, AREA_ID, FILTER, POINTS, POPULATION


IMD_REF = "MHCLG (2019) The English Indices of Deprivation 2019: Technical report"
_DECILE_LABELS = {d: f"{d}" + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10
                               else "") for d in range(1, 11)}
# ColorBrewer RdYlBu, 10 classes: red = most deprived
_DECILE_COLOURS = ["#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#e0f3f8", "#abd9e9",
                   "#74add1", "#4575b4", "#313695"]
IMD = Param("imd", "file", "IMD files", "The national English Indices of Deprivation file(s) "
            "(deciles/ranks and/or scores, CSV or XLSX): the official MHCLG files, the IMD "
            "2019/2015 CSVs or mySociety's scores. Several files are combined.", many=True)
LSOAS = Input("lsoas", "areas", "LSOAs", "When the areas are wards (or any areas built from "
              "LSOAs): the LSOA boundaries of the IMD's vintage, to measure each area against "
              "the national LSOA cut-offs.", required=False, id_param="lsoa_id",
              advanced=True)
LSOA_ID = Param("lsoa_id", "column", "LSOA code field", "The LSOAs' code field (e.g. LSOA11CD).",
                of="lsoas", advanced=True)
APPORTION = Param("apportion", "choice", "LSOAs across boundaries", "An LSOA straddling two "
                  "wards goes whole to the ward holding most of its area (best_fit) or is "
                  "split by area.", default="best_fit", choices=("best_fit", "area"),
                  advanced=True)


def counts_per_area(ctx, gdf, aid, source):
    """A count per area from a record layer (the point-in-area rule) or an area column."""
    import pandas as pd

    if source in gdf.columns:
        return pd.to_numeric(gdf[source], errors="coerce").fillna(0).to_numpy()
    from mapping.stats.rates import count_points

    pts, _ = records(ctx, source, None)
    return count_points(gdf, pts, aid)[0]["count"].to_numpy()


def national_imd(ctx, imd, lookup=None, lookup_from=None, lookup_to=None, lookup_weight=None):
    """The national IMD table from the files named (crossed to another LSOA vintage)."""
    import pandas as pd

    from boundaries.deprivation import crosswalk_imd, read_imd

    tab = read_imd([project_path(ctx, p) for p in layer_names(imd)])
    if lookup:
        if not (lookup_from and lookup_to):
            raise ProjectError(f"{term('imd_lookup')} needs {term('lookup_from')} and "
                               f"{term('lookup_to')}",
                               fix="name the lookup's IMD-vintage and area-vintage code columns")
        path = project_path(ctx, lookup)
        lk = (pd.read_excel(path, dtype=str) if str(path).lower().endswith((".xlsx", ".xls"))
              else pd.read_csv(path, dtype=str, encoding="utf-8-sig"))
        cols = tab.attrs.get("columns")
        tab = crosswalk_imd(tab, lk, from_field=lookup_from, to_field=lookup_to,
                            weight_field=lookup_weight)
        tab.attrs["columns"] = cols
        tab.attrs["notes"] = [f"vintages crossed with {path.name}: score = weighted mean, "
                              "decile from the largest-weight source LSOA"]
    return tab


def with_imd(gdf, aid, tab):
    """The areas with the IMD table's columns joined by LSOA code (areas without a match keep
    none)."""
    gdf = gdf.drop(columns=[c for c in tab.columns if c in gdf.columns and c != "lsoa_code"])
    codes = gdf[aid].astype(str).str.strip()
    if not codes.isin(tab["lsoa_code"]).any():
        raise ProjectError(f"no area code in '{aid}' (e.g. {codes.iloc[0]}) is an LSOA code of "
                           "the IMD file: the IMD is published for LSOAs", column=aid,
                           fix=f"give {term('lsoas')} (with {term('lsoa_id')}) to measure "
                               "these areas against the national LSOA cut-offs, or use LSOAs")
    j = tab.set_index("lsoa_code").reindex(codes.to_numpy())
    for c in j.columns:
        gdf[c] = j[c].to_numpy()
    return gdf


def _share_line(label, r):
    return (f"{label}: {r['share']:.1%} of points ({int(r['n_in']):,} of {int(r['n']):,}) vs "
            f"{r['population_share']:.1%} of population; ratio {r['ratio']:.2f} "
            f"(95% CI {r['ci_low']:.2f}-{r['ci_high']:.2f})")


def _ward_form(ctx, gdf, aid, lsoas, lsoa_id, tab, population, apportion, name):
    from boundaries.wards import ward_deprivation

    lgdf, lid = _areas(ctx, lsoas, lsoa_id, param="lsoas", id_param="lsoa_id")
    pop = population if population in lgdf.columns else None
    out = ward_deprivation(lgdf, gdf, tab, lsoa_id=lid, ward_id=aid, population=pop,
                           apportion=apportion)
    meta = dict(out.attrs.pop("meta"))
    cut = meta["params"]["cutoffs"]
    meta.update(title="Deprivation against the national LSOA cut-offs", subject="",
                units="IMD score", value_column="imd_score", count_columns=[],
                summary=[f"{len(out):,} areas from {int(out['n_lsoas'].sum()):,} LSOA parts"]
                + [f"most deprived {p}% nationally (IMD score >= "
                   f"{cut[f'most_deprived_{p}']:.3f}): {int(out[f'most_deprived_{p}'].sum())} "
                   f"of {len(out)} areas" for p in (20, 30)])
    return [StepOutput(name, out, "areas", meta)]


@analysis(
    "deprivation", strand="communities", uses_dates=False, label="Deprivation (IMD) profile",
    about=("Joins the national IMD deciles and scores to LSOAs and flags the most deprived "
           "10/20/30% nationally, with the share of records and residents in them; or measures "
           "wards (areas built from LSOAs) against the national LSOA cut-offs."),
    order=40, menu="deprivation", title="Deprivation (IMD decile)",
    summary="join IMD deciles/scores to areas, flag the most deprived 10/20/30%, and report "
            "concentration; wards against the national cut-offs",
    description="""\
LSOA form: join the English Indices of Deprivation to LSOAs and flag the
nationally most deprived 10% (decile 1), 20% (deciles 1-2) and 30% (deciles
1-3).  The IMD file's code, score, rank and decile columns are detected
(official MHCLG files, the IMD 2019/2015 CSVs and mySociety's scores file);
give several --imd files to combine deciles from one with scores from
another.  local_quintile ranks the areas within the study area (1 = most
deprived fifth).  With --points, counts the records per area and gives the
share of records and of population in the 20% and 30% most deprived areas,
with the ratio and a 95% Wilson interval (population share treated as fixed).

Ward form (--lsoas): --areas are wards (or any areas built from LSOAs) and
--lsoas the LSOAs of the IMD's vintage.  Each ward gets imd_score (the
population-weighted mean of its LSOAs' scores), most_deprived_20 and
most_deprived_30 (that score against the national LSOA cut-offs, from the
whole national --imd file), pop_share_most_deprived_20 / _30 (the share of
its population living in the national 20% / 30% most deprived LSOAs) and
n_lsoas.  --population (keyed by LSOA code) weights the LSOAs.  LSOAs
straddling ward boundaries go whole to the ward holding most of their area
(--apportion best_fit, default) or are split by area.

reference: MHCLG (2019) The English Indices of Deprivation 2019: Technical report.""",
    inputs=[AREAS.but(help="The LSOAs (or, with LSOAs given below, the wards or other areas "
                           "built from them)."), LSOAS, POINTS.but(required=False),
            AREAS.but(name="wards", label="Wards", required=False, id_param="ward_id",
                      help="With LSOA areas: also measure these wards against the national "
                           "cut-offs (a second output).")],
    params=[AREA_ID, LSOA_ID, IMD,
            Param("imd_lookup", "file", "IMD code lookup", "An LSOA code lookup to cross "
                  "vintages, e.g. IoD 2025 (2021 LSOAs) onto 2011 LSOAs: the ONS LSOA 2011 to "
                  "2021 lookup.", advanced=True),
            Param("lookup_from", "text", "Lookup column: IMD's codes", "e.g. LSOA21CD.",
                  advanced=True),
            Param("lookup_to", "text", "Lookup column: the areas' codes", "e.g. LSOA11CD.",
                  advanced=True),
            Param("lookup_weight", "text", "Lookup weight column", "e.g. population; equal "
                  "weights when blank.", advanced=True),
            Param("decile", "column", "IMD decile field", "When no IMD file is given: the "
                  "areas' decile field (1 = most deprived 10% nationally).",
                  default="imd_decile", of="areas", advanced=True),
            Param("score", "column", "IMD score field", "When no IMD file is given: the areas' "
                  "score field (higher = more deprived).", default="imd_score", of="areas",
                  advanced=True),
            POPULATION.but(of="lsoas|areas", default="population",
                           help="Residents per area (LSOA form), or per LSOA (ward form), for "
                                "the population shares and weights."),
            Param("ward_id", "column", "Ward code field", "The wards' code field.", of="wards",
                  advanced=True),
            FILTER, APPORTION],
    outputs=[Output("", "areas", "deprivation per area", counts=("count", "count_*")),
             Output("_concentration", "table", "records in the most deprived areas",
                    counts=("n", "n_in"), optional=True),
             Output("_wards", "areas", "ward deprivation, national cut-offs", optional=True)],
    examples=[f"deprivation --areas {BRISTOL} --area-id LSOA11CD --imd {IMD_FILES} --points "
              f"2018-1*-avon-and-somerset-street.csv --filter \"crime_type == 'Drugs'\" "
              f"{POP_FLAGS} --out bristol_imd.csv",
              f"deprivation --areas {WARDS} --area-id WD13CD --lsoas {BRISTOL} --lsoa-id "
              f"LSOA11CD --imd {IMD_FILES} {POP_FLAGS} --out bristol_wards_imd.csv"],
)
def deprivation_step(ctx, *, areas, lsoas, points, wards, area_id, lsoa_id, imd, imd_lookup,
                     lookup_from, lookup_to, lookup_weight, decile, score, population, ward_id,
                     filter, apportion, name):
    """Flags, local quintiles, record counts and concentration in the most deprived areas;
    wards against the national LSOA cut-offs."""
    gdf, aid = _areas(ctx, areas, area_id)
    tab = national_imd(ctx, imd, imd_lookup, lookup_from, lookup_to, lookup_weight) \
        if imd else None
    if lsoas:
        if tab is None:
            raise ProjectError(f"the ward form ({term('lsoas')}) needs the national "
                               f"{term('imd')} file for the national cut-offs",
                               fix="give the national IMD file(s)")
        if points:
            raise ProjectError(f"the ward form ({term('lsoas')}) takes no {term('points')}",
                               fix="count records with count on the wards, or use LSOA areas")
        return _ward_form(ctx, gdf, aid, lsoas, lsoa_id, tab, population, apportion, name)
    if tab is not None:
        gdf = with_imd(gdf.copy(), aid, tab)
        decile, score = "imd_decile", "imd_score"
    if decile not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no IMD decile field '{decile}'",
                           fix=f"give the national {term('imd')} file(s)")
    out, notes = _decile_frame(gdf, aid, decile, score)
    if population in gdf.columns:
        out["population"] = pd.to_numeric(gdf[population], errors="coerce").to_numpy()
    names = layer_names(points)
    summary = _count_records(ctx, out, gdf, aid, names, filter)
    count_cols = [c for c in out.columns if str(c) == "count" or str(c).startswith("count_")]
    res = [StepOutput(name, out, "areas", {
        "title": "Deprivation (IMD decile)", "units": "decile (1 = most deprived 10%)",
        "value_column": "decile_label", "subject": "",
        "method": "national IMD deciles: most_deprived_10 = decile 1, _20 = deciles 1-2, _30 = "
                  "deciles 1-3; local_quintile by rank within the study area",
        "references": [IMD_REF], "notes": notes + list((tab.attrs.get("notes") or [])
                                                       if tab is not None else []),
        "attribution": ["imd"] if imd else [], "summary": summary,
        "style": {"scheme": "categorical", "legend_title": "IMD decile (national)",
                  "categories": dict(zip(_DECILE_LABELS.values(), _DECILE_COLOURS))}})]
    if count_cols and "population" in out.columns:
        res.append(_concentration_output(out, aid, names, count_cols, name))
    if wards:
        res.append(_wards_output(ctx, gdf, aid, tab, wards, ward_id, population, apportion,
                                 name))
    return res


def _decile_frame(gdf, aid, decile, score):
    """``(areas with their IMD decile, flags, label and local quintile, notes)``."""
    from boundaries.deprivation import deprivation_flags, local_quintiles

    out = gdf[[aid, "geometry"]].copy().reset_index(drop=True)
    if score in gdf.columns:
        out["imd_score"] = gdf[score].to_numpy()
    out["imd_decile"] = pd.array(pd.to_numeric(gdf[decile], errors="coerce").to_numpy(),
                                 dtype="Int64")
    out = pd.concat([out, deprivation_flags(gdf[decile].to_numpy())], axis=1)
    dec = pd.to_numeric(out["imd_decile"], errors="coerce")
    out["decile_label"] = [_DECILE_LABELS.get(int(d), "") if pd.notna(d) else "" for d in dec]
    basis = score if score in gdf.columns else decile
    out["local_quintile"] = pd.array(local_quintiles(
        gdf[basis], more_deprived="higher" if basis == score else "lower"), dtype="Int64")
    notes = []
    if int(dec.isna().sum()):
        notes.append(f"{int(dec.isna().sum())} of {len(out)} areas have no IMD decile "
                     "(not flagged)")
    return out, notes


def _count_records(ctx, out, gdf, aid, names, filter) -> list[str]:
    """Count each record layer per area into ``out``; return the summary lines."""
    from mapping.stats.rates import count_points

    summary = []
    for lay in names:  # one count column per record layer ("count" when there is one)
        pts, _ = records(ctx, lay, filter)
        counts, pos = count_points(gdf, pts, aid)
        out["count" if len(names) == 1 else f"count_{lay}"] = counts["count"].to_numpy()
        summary.append(f"{lay}: {int((pos >= 0).sum()):,} records in the areas, "
                       f"{int((pos < 0).sum()):,} outside")
    return summary


def _concentration_output(out, aid, names, count_cols, name) -> StepOutput:
    """The records' shares in the most deprived areas against the population's (a table)."""
    from mapping.stats.concentration import concentration_table

    labels = {(names[0] if c == "count" else c[len("count_"):]): c for c in count_cols}
    ctab = concentration_table(out, labels, area_id=aid, population="population")
    lines = [_share_line(f"{r['layer']} in the most deprived {str(r['flag'])[-2:]}%", r)
             for _, r in ctab.iterrows()] if "layer" in ctab.columns else []
    return StepOutput(f"{name}_concentration", pd.DataFrame(ctab), "table",
                      {**ctab.attrs["meta"], "base_n": int(ctab["n"].max()),
                       "summary": lines})


def _wards_output(ctx, gdf, aid, tab, wards, ward_id, population, apportion,
                  name) -> StepOutput:
    """The wards' deprivation against the national LSOA cut-offs (an area layer)."""
    from boundaries.wards import ward_deprivation

    wgdf, wid = _areas(ctx, wards, ward_id, param="wards", id_param="ward_id")
    # without the national file, the LSOA layer's own national deciles bound the cut-offs
    table = tab if tab is not None else pd.DataFrame(
        {"lsoa_code": gdf[aid].astype(str).to_numpy(),
         **{c: gdf[c].to_numpy() for c in ("imd_score", "imd_decile", "imd_rank")
            if c in gdf.columns}})
    w = ward_deprivation(gdf, wgdf, table, lsoa_id=aid, ward_id=wid,
                         population=population if population in gdf.columns else None,
                         apportion=apportion, strict=tab is not None)
    return StepOutput(f"{name}_wards", w, "areas", {
        **w.attrs.pop("meta"), "title": "Ward deprivation (national cut-offs)",
        "units": "IMD score", "value_column": "imd_score", "subject": ""})
