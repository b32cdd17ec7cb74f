"""Project steps for the audit's other questions (issue 9).

Kinds: ``trend``, ``crackhouses``, ``needles``, ``venues``, ``funnel``, ``breakdown``.
Every step accepts ``filter`` (a :mod:`mapping.filters` expression) where it
reads records, returns tables with ``base_n``/method/units/references in
their meta, and saves its charts (PNG and SVG) as ``figure`` outputs.

Example project entries::

    [[analyses]]
    name = "drugs_trend"
    kind = "trend"
    [analyses.params]
    records = "arrests"
    filter = "offence == 'Possession'"
    events = [{date = "2023-12-25", label = "Christmas"}]

    [[analyses]]
    name = "crack"
    kind = "crackhouses"
    [analyses.params]
    records = "crack_houses"
    census_date = "2025-03-31"

    [[analyses]]
    name = "needles"
    kind = "needles"
    [analyses.params]
    records = "needle_finds"
    areas = "wards"
    target_hours = 24

    [[analyses]]
    name = "near_services"
    kind = "venues"
    [analyses.params]
    events = "arrests"
    venues = "treatment_services"
    radius = 250
    population = "lsoa"           # area layer with a population column

    [[analyses]]
    name = "funnel"
    kind = "funnel"
    [analyses.params]
    areas = "lsoa"
    points = "arrests"
    population = "population"

    [[analyses]]
    name = "arrests_by"
    kind = "breakdown"
    [analyses.params]
    records = "arrests"
    by = ["age", "gender", "ethnicity"]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from layers.errors import ProjectError
from mapping.pipeline import StepOutput, register_step


def _outdir(ctx) -> Path:
    d = getattr(ctx, "outdir", None)
    if d is None:
        d = getattr(ctx, "_chart_dir", None) or tempfile.mkdtemp(prefix="hotmap-charts-")
        try:
            ctx._chart_dir = d
        except AttributeError:  # pragma: no cover
            pass
    d = Path(d) / "charts"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _figure(ctx, fig, name: str, meta: dict) -> StepOutput:
    """Save a chart as PNG and SVG and wrap it as a ``figure`` output."""
    from mapping.charts import chart_save

    d = _outdir(ctx)
    png = chart_save(fig, d / f"{name}.png")
    svg = chart_save(fig, d / f"{name}.svg")
    fig.clear()
    return StepOutput(name, str(png), "figure", {**meta, "svg": str(svg), "png": str(png)})


def _progress(ctx, f: float, msg: str):
    if getattr(ctx, "progress", None):
        ctx.progress(f, msg)


def _source(ctx, *names) -> str | None:
    bits = []
    for n in names:
        m = ctx.meta.get(n, {}) if n else {}
        src = m.get("attribution") or m.get("source_text")
        if src and src not in bits:
            bits.append(str(src))
    fictional = bool(getattr(getattr(ctx, "project", None), "fictional", False))
    if fictional:
        bits.insert(0, "FICTIONAL demo data")
    return "; ".join(bits) or None


def _area_geom(ctx, area, area_id=None, area_value=None):
    if area is None:
        return None
    gdf = ctx.data(area)
    if area_value is not None:
        aid = area_id or ctx.meta.get(area, {}).get("code_field") or "code"
        if aid not in gdf.columns:
            raise ProjectError(f"layer '{area}' has no column '{aid}'", fix="set area_id")
        gdf = gdf[gdf[aid].astype(str).isin([str(v) for v in (
            area_value if isinstance(area_value, list) else [area_value])])]
        if not len(gdf):
            raise ProjectError(f"no area '{area_value}' in layer '{area}'",
                               fix="check area_value")
    return gdf


@register_step("trend")
def trend_step(ctx, *, records: str, filter: str | None = None, date_column: str = "date",
               area: str | None = None, area_id=None, area_value=None, start=None, end=None,
               window: int = 3, events=None, units: str = "records", place: str | None = None,
               financial_year: bool = False, name: str = "trend"):
    """Monthly counts with rolling mean, quarters vs a year earlier, seasonal profile, charts.

    Parameters
    ----------
    records : str
        Record layer name.
    filter : str, optional
        Filter expression (:mod:`mapping.filters`).
    date_column : str
        Date column.
    area, area_id, area_value : optional
        Boundary layer to select records by (all its areas, or those whose
        ``area_id`` equals ``area_value``).
    start, end : str, optional
        Period.
    window : int
        Rolling-mean months.
    financial_year : bool
        April-March quarters.
    events : list of dict or str, optional
        ``[{date, label}]`` / ``[{start, end, label}]`` or a CSV path.
    units, place : str
        Wording of chart titles.
    name : str
        Prefix of the outputs.

    Returns
    -------
    list of StepOutput
        ``<name>_monthly``, ``_quarterly``, ``_seasonal`` tables (method, units,
        base n, references in meta) and ``_chart``, ``_quarter_chart``,
        ``_season_chart`` figures (PNG path; ``meta['svg']``).
    """
    from mapping.charts import trend_chart, trend_quarter_chart, trend_season_chart
    from mapping.trends import trend_analysis

    ev = events
    if isinstance(events, str):
        ev = pd.read_csv(events)
    _progress(ctx, 0.0, "trend")
    res = trend_analysis(ctx.data(records), date_column=date_column, filter=filter,
                         area=_area_geom(ctx, area, area_id, area_value), start=start, end=end,
                         window=window, events=ev, financial_year=financial_year)
    src = _source(ctx, records)
    base = {"params": {"records": records, "filter": filter, "window": window,
                       "area": area, "area_value": area_value}}
    outs = []
    for key, tab in (("monthly", res.monthly), ("quarterly", res.quarterly),
                     ("seasonal", res.seasonal)):
        m = {**tab.attrs["meta"], **base}
        m["title"] = f"{units[:1].upper() + units[1:]}: {m['title'].lower()}"
        outs.append(StepOutput(f"{name}_{key}", pd.DataFrame(tab), "table", m))
    _progress(ctx, 0.7, "trend charts")
    for key, fn in (("chart", trend_chart), ("quarter_chart", trend_quarter_chart),
                    ("season_chart", trend_season_chart)):
        fig = fn(res, place=place, units=units, source=src)
        outs.append(_figure(ctx, fig, f"{name}_{key}", {**res.meta, **base,
                                                        "title": fig.texts[0].get_text()}))
    return outs


def _census(ch, census_date):
    if census_date is not None:
        return pd.Timestamp(census_date)
    dates = [pd.to_datetime(ch[c], errors="coerce").max() for c in
             ("opened", "closure_order", "reopened") if c in ch.columns]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ProjectError("crack-house records have no dates", fix="set census_date")
    return max(dates)


@register_step("crackhouses")
def crackhouses_step(ctx, *, records: str, census_date=None, date=None, windows=(3, 6, 12),
                     filter: str | None = None, units: str = "days", name: str = "crackhouses"):
    """Status at a date (sensitive points), operating over time, closures, Kaplan-Meier, chart.

    Parameters
    ----------
    records : str
        Crack-house record layer.
    census_date : str, optional
        Follow-up end (default: latest date in the data).
    date : str, optional
        Date of the status map (default: census date).
    windows : sequence of int
        Reopening windows in months.
    filter : str, optional
        Filter expression.
    units : {"days", "months"}
        Time units of the Kaplan-Meier table.
    name : str
        Prefix of the outputs.

    Returns
    -------
    list of StepOutput
        ``<name>_status`` (points, sensitive), ``_closures``, ``_reopening``
        (Kaplan-Meier table), ``_operating`` tables and ``_chart`` figure.
    """
    from mapping.filters import apply_filter
    from mapping.lifecycle import (lifecycle_chart, lifecycle_closures, lifecycle_operating,
                                   lifecycle_reopening, lifecycle_status_at)

    ch = apply_filter(ctx.data(records), filter)
    census = _census(ch, census_date)
    at = pd.Timestamp(date) if date is not None else census
    _progress(ctx, 0.1, "status at date")
    status = lifecycle_status_at(ch, at)
    clos = lifecycle_closures(ch, census_date=census, windows=tuple(windows))
    km = lifecycle_reopening(ch, census_date=census, units=units)
    oper = lifecycle_operating(ch, end=census)
    p = {"records": records, "census_date": str(census.date()), "filter": filter}
    smeta = {**status.attrs["meta"], "params": {**p, "date": str(at.date())},
             "style": {"column": "status_at", "scheme": "categorical",
                       "legend_title": f"Status at {at.date()}",
                       "categories": {"active": "#d7301f", "closed": "#636363",
                                      "reopened": "#fd8d3c", "not yet open": "#d9d9d9"}}}
    kmt = km.table.copy()
    outs = [StepOutput(f"{name}_status", status, "points", smeta),
            StepOutput(f"{name}_closures", pd.DataFrame(clos), "table",
                       {**clos.attrs["meta"], "params": p}),
            StepOutput(f"{name}_reopening", kmt, "table",
                       {**km.meta, "title": "Time to reopening (Kaplan-Meier table)",
                        "median": km.median, "params": p}),
            StepOutput(f"{name}_operating", pd.DataFrame(oper), "table",
                       {**oper.attrs["meta"], "params": p})]
    _progress(ctx, 0.8, "lifecycle chart")
    fig = lifecycle_chart(km, clos, source=_source(ctx, records))
    outs.append(_figure(ctx, fig, f"{name}_chart", {**km.meta, "params": p}))
    return outs


@register_step("needles")
def needles_step(ctx, *, records: str, areas: str | None = None, area_id=None,
                 target_hours: float = 24.0, filter: str | None = None, min_collected: int = 5,
                 measure: str = "median_hours", name: str = "needles"):
    """Response-time tables by month (and area), slow areas, finds by quantity, chart.

    Parameters
    ----------
    records : str
        Needle record layer.
    areas, area_id : str, optional
        Boundary layer (and its code field) for per-area outputs.
    target_hours : float
        Collection target.
    filter : str, optional
        Filter expression.
    min_collected : int
        Areas with fewer collected reports are not judged.
    measure : {"median_hours", "p90_hours"}
        Statistic compared with the target.
    name : str
        Prefix of the outputs.

    Returns
    -------
    list of StepOutput
        ``<name>_reports`` (points with response time and flag, sensitive),
        ``_monthly`` table, with areas ``_slow_areas`` and ``_finds`` (areas),
        and ``_chart`` figure.
    """
    from mapping.needles import (needle_finds_by_area, needle_response,
                                 needle_response_chart, needle_response_summary,
                                 needle_slow_areas)
    from mapping.filters import apply_filter

    recs = apply_filter(ctx.data(records), filter)
    p = {"records": records, "target_hours": target_hours, "filter": filter}
    resp = needle_response(recs, target_hours=target_hours)
    monthly = needle_response_summary(resp, by="month", target_hours=target_hours)
    outs = [StepOutput(f"{name}_reports", resp, "points",
                       {**resp.attrs["meta"], "title": "Needle reports with response times",
                        "value_column": "response_flag", "params": p}),
            StepOutput(f"{name}_monthly", pd.DataFrame(monthly), "table",
                       {**monthly.attrs["meta"], "params": p})]
    if areas is not None:
        agdf = ctx.data(areas)
        aid = area_id or ctx.meta.get(areas, {}).get("code_field") or "code"
        if aid not in agdf.columns:
            raise ProjectError(f"layer '{areas}' has no id column '{aid}'", fix="set area_id")
        by_area = needle_response_summary(resp, by="area", areas=agdf, area_code=aid,
                                          target_hours=target_hours)
        slow = needle_slow_areas(by_area, target_hours=target_hours,
                                 min_collected=min_collected, measure=measure)
        outs.append(StepOutput(f"{name}_slow_areas", slow, "areas", {
            **slow.attrs["meta"], "params": {**p, "areas": areas},
            "style": {"column": "response_class", "scheme": "categorical",
                      "legend_title": f"Collection vs {target_hours:g} h target",
                      "categories": {"slow": "#d7301f", "within target": "#1a9850",
                                     "too few": "#d9d9d9", "no reports": "#ffffff"}}}))
        finds = needle_finds_by_area(recs, agdf, area_code=aid)
        outs.append(StepOutput(f"{name}_finds", finds, "areas", {
            **finds.attrs["meta"], "params": {**p, "areas": areas},
            "style": {"column": "needles", "scheme": "quantiles", "k": 5, "palette": "OrRd",
                      "legend_title": "Needles found (sum of quantity)"}}))
    fig = needle_response_chart(monthly, source=_source(ctx, records))
    outs.append(_figure(ctx, fig, f"{name}_chart", {**monthly.attrs["meta"], "params": p}))
    return outs


@register_step("venues")
def venues_step(ctx, *, events: str, venues: str, radius: float = 250.0,
                filter: str | None = None, population: str | None = None,
                population_column: str = "population", study_area: str | None = None,
                name_column: str | None = None, venue_kind: str = "venue",
                units: str = "events", top: int = 15, name: str = "venues"):
    """Events within ``radius`` m of each venue, share of all events, expected shares, chart.

    Parameters
    ----------
    events, venues : str
        Event and venue layers.
    radius : float
        Metres.
    filter : str, optional
        Filter expression on the events.
    population : str, optional
        Area layer with ``population_column`` for the population expectation.
    study_area : str, optional
        Area layer for the area expectation (default: ``population`` areas).
    name_column, venue_kind, units, top : optional
        Labels and chart wording.
    name : str
        Prefix of the outputs.

    Returns
    -------
    list of StepOutput
        ``<name>_ranked`` (venue points with counts and rank), ``_summary``
        table and ``_chart`` figure (small counts shown as "<5" when the
        events layer is sensitive).
    """
    from mapping.venues import venue_activity, venue_chart

    pop = ctx.data(population) if population else None
    study = ctx.data(study_area) if study_area else None
    res = venue_activity(ctx.data(events), ctx.data(venues), radius=radius, filter=filter,
                         study_area=study, population=pop, population_column=population_column,
                         name_column=name_column, progress=getattr(ctx, "progress", None))
    p = {"events": events, "venues": venues, "radius": radius, "filter": filter,
         "population": population}
    meta = {**res.meta, "params": p, "summary": res.summary}
    summ = pd.DataFrame([res.summary])
    outs = [StepOutput(f"{name}_ranked", res.table, "points",
                       {**meta, "style": {"column": "events", "scheme": "quantiles", "k": 5,
                                          "legend_title": f"{units} within {radius:g} m"}}),
            StepOutput(f"{name}_summary", summ, "table",
                       {**meta, "title": f"{units} in and around {venue_kind}s: observed and "
                                         "expected shares"})]
    sensitive = bool(ctx.meta.get(events, {}).get("sensitive"))
    thr = int(getattr(getattr(ctx, "project", None), "suppression_threshold", None) or 5) \
        if sensitive else 0
    fig = venue_chart(res, top=top, units=units, venue_kind=venue_kind,
                      source=_source(ctx, events, venues), threshold=thr)
    outs.append(_figure(ctx, fig, f"{name}_chart", meta))
    return outs


@register_step("funnel")
def funnel_step(ctx, *, areas: str, population: str = "population", points: str | None = None,
                count: str | None = None, area_id=None, label: str | None = None,
                filter: str | None = None, multiplier: float = 10000.0, comparators=None,
                overdispersion: bool = False, units: str = "records", name: str = "funnel"):
    """Area rates against population with PHE exact Poisson control limits, and the chart.

    Parameters
    ----------
    areas : str
        Boundary layer with a population column.
    population : str
        Its population column.
    points, count : str
        A record layer to count per area, or an area column of counts.
    area_id, label : str, optional
        Code and label fields (default: the layer's code/name fields).
    filter : str, optional
        Filter expression on ``points``.
    multiplier : float
        Rates per this many people.
    comparators : str or DataFrame, optional
        Comparator areas (CSV path or table with the label, count and
        population columns).
    overdispersion : bool
        Widen the limits for overdispersion (Spiegelhalter 2005).
    units, name : str
        Chart wording; output name.

    Returns
    -------
    list of StepOutput
        ``<name>`` (areas with rate, limits and ``outside`` class) and
        ``<name>_chart`` figure.
    """
    from mapping.funnel import funnel_chart, funnel_table

    gdf = ctx.data(areas)
    aid = area_id or ctx.meta.get(areas, {}).get("code_field") or "code"
    label = label or ctx.meta.get(areas, {}).get("name_field") or aid
    if population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population column '{population}'",
                           fix="join a population table to the areas or set population")
    work = gdf.copy()
    if points:
        from mapping.concentration import count_in_areas
        from mapping.filters import apply_filter

        pts = apply_filter(ctx.data(points), filter)
        work["count"] = count_in_areas(gdf, pts, area_id=aid).to_numpy()
        count = "count"
    elif count is None or count not in gdf.columns:
        raise ProjectError("funnel needs points (a record layer) or count (an area column)",
                           fix="set points = \"<record layer>\" in [analyses.params]")
    cmp_ = pd.read_csv(comparators, thousands=",") if isinstance(comparators, str) else comparators
    if label not in work.columns:
        label = aid
    t = funnel_table(work, count=count, population=population, name=label,
                     multiplier=multiplier, comparators=cmp_, overdispersion=overdispersion)
    t[aid] = list(work.loc[t.index[t["group"] == "area"], aid]) + \
        [None] * int((t["group"] != "area").sum())
    p = {"areas": areas, "points": points, "filter": filter, "multiplier": multiplier}
    meta = {**t.attrs["meta"], "params": p,
            "style": {"column": "outside", "scheme": "categorical",
                      "legend_title": "Against the funnel limits",
                      "categories": {"high 99.8%": "#b2182b", "high 95%": "#ef8a62",
                                     "within": "#f7f7f7", "low 95%": "#67a9cf",
                                     "low 99.8%": "#2166ac"}}}
    area_rows = t[t["group"] == "area"]
    outs = [StepOutput(name, area_rows, "areas" if hasattr(area_rows, "geometry") else "table",
                       meta)]
    fig = funnel_chart(t, units=units, source=_source(ctx, points, areas))
    outs.append(_figure(ctx, fig, f"{name}_chart", meta))
    return outs


@register_step("breakdown")
def breakdown_step(ctx, *, records: str, by=("age", "gender", "ethnicity"),
                   filter: str | None = None, population=None, population_column="population",
                   threshold: int | None = None, units: str = "records", name: str = "breakdown"):
    """Counts, Wilson CIs, suppression, rates and disproportionality by each characteristic.

    Parameters
    ----------
    records : str
        Record layer.
    by : str or list of str
        Characteristics (age, gender, ethnicity, disability, sexuality, or columns).
    filter : str, optional
        Filter expression.
    population : dict, optional
        ``{field: CSV path or table}`` of group populations.
    population_column : str
        Population column of those tables.
    threshold : int, optional
        Suppression threshold (default: the project's, else 5).
    units, name : str
        Chart wording; output prefix.

    Returns
    -------
    list of StepOutput
        ``<name>_<field>`` tables and ``<name>_<field>_chart`` figures.
    """
    from mapping.demographics import breakdown, breakdown_chart

    recs = ctx.data(records)
    by = [by] if isinstance(by, str) else list(by)
    proj = getattr(ctx, "project", None)
    thr = threshold or getattr(proj, "suppression_threshold", None) or 5
    pops = population if isinstance(population, dict) else {}
    outs = []
    for i, field in enumerate(by):
        _progress(ctx, i / max(1, len(by)), f"breakdown by {field}")
        pop = pops.get(field)
        if isinstance(pop, str):
            pop = pd.read_csv(pop, thousands=",")
        tab = breakdown(recs, field, filter=filter, population=pop,
                        population_column=population_column, threshold=int(thr))
        m = {**tab.attrs["meta"], "params": {**tab.attrs["meta"]["params"], "records": records},
             "title": f"{units[:1].upper() + units[1:]} by {field}"}
        outs.append(StepOutput(f"{name}_{field}", pd.DataFrame(tab), "table", m))
        fig = breakdown_chart(tab, units=units, source=_source(ctx, records))
        outs.append(_figure(ctx, fig, f"{name}_{field}_chart", m))
    return outs
