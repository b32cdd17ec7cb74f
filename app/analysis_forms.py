"""Parameter form specs for the analysis dialogs: one per analysis kind, in plain words.

A spec is a list of :class:`Param`.  Common parameter names (``points``,
``areas``, ``bandwidth`` ...) mean the same thing in every analysis, so their
widget type, units and help text live in :data:`COMMON`; :data:`FORMS` adds
each kind's title, description and overrides.  Parameters of a step function
that no spec mentions still get a field (a TOML literal), so a new analysis
is usable from the GUI on the day it is registered.  Qt-free.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Param", "FormSpec", "form_for", "COMMON", "FORMS", "parse_literal",
           "validate_params"]

NO_DEFAULT = inspect.Parameter.empty


@dataclass
class Param:
    """One field of an analysis form.

    Attributes
    ----------
    name : str
        The step function's keyword.
    label : str
        Field label.
    kind : str
        ``layer``, ``layers`` (several), ``column`` (of the layer named by
        ``of``), ``number``, ``int``, ``choice``, ``bool``, ``text`` or ``literal``.
    help : str
        Plain-words explanation: units and what it does to the map.
    layer_kinds : tuple
        Layer kinds a ``layer`` field accepts (``areas``, ``points``, ``surface``, ``grid``).
    of : str
        For ``column``: the parameter naming the layer whose columns are offered.
    choices : tuple
        For ``choice``: the values (registry keys).
    minimum, maximum : float
        Bounds for numbers.
    unit : str
        Suffix shown after numbers (" m", " %").
    optional : bool
        May be left blank (the analysis chooses, or the option is off).
    default : Any
        The step function's default (filled in by :func:`form_for`).
    advanced : bool
        Shown under "More options".
    """

    name: str
    label: str
    kind: str = "literal"
    help: str = ""
    layer_kinds: tuple = ()
    of: str = ""
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    optional: bool = True
    default: Any = None
    advanced: bool = False
    also_layers: tuple = ()  # for ``column``: layers of these kinds are offered too


@dataclass
class FormSpec:
    """A whole form: title, description and fields."""

    kind: str
    title: str
    description: str
    params: list = field(default_factory=list)


def _kernels():
    try:
        from mapping.kde import KERNELS

        return tuple(KERNELS)
    except ImportError:  # pragma: no cover
        return ("quartic",)


def _weights():
    try:
        from mapping.weights import WEIGHT_KINDS

        return ("queen", "rook", "knn:8", "distance:800")
    except ImportError:  # pragma: no cover
        return ("queen",)


_REC = "The record layer to analyse (points), e.g. police.uk crimes or arrests."
COMMON: dict[str, Param] = {p.name: p for p in [
    Param("points", "Records", "layer", _REC, layer_kinds=("points",), optional=False),
    Param("records", "Records", "layer", _REC, layer_kinds=("points",), optional=False),
    Param("events", "Events", "layer", _REC, layer_kinds=("points",), optional=False),
    Param("areas", "Areas", "layer", "Boundary layer whose areas are counted or tested, "
          "e.g. LSOAs. Results are drawn on these areas.", layer_kinds=("areas", "grid"),
          optional=False),
    Param("area_id", "Area code field", "column", "The field holding each area's code. "
          "Blank: the code field found when the boundaries were imported.", of="areas"),
    Param("population", "Population field", "column", "Residents per area, used as the "
          "denominator: gives rates per 10,000 residents. (none) maps plain counts.",
          of="areas"),
    Param("filter", "Only records where", "text", "A filter expression, e.g.  crime_type == "
          "'Drugs'  or  drug_class == 'A' and date >= '2018-11-01'. Blank uses every record."),
    Param("cell_size", "Cell size", "number", "Grid cell width in metres. Smaller cells give "
          "a finer map but take longer. Blank: chosen from the area's size.", minimum=5,
          maximum=5000, unit=" m"),
    Param("bandwidth", "Search radius (bandwidth)", "number", "How far each record's "
          "influence spreads, in metres. Larger radii give smoother, broader hotspots; smaller "
          "ones pick out single streets. Blank: chosen from the data.", minimum=10,
          maximum=20000, unit=" m"),
    Param("kernel", "Kernel shape", "choice", "How influence fades with distance; quartic "
          "(the usual choice for crime mapping) fades smoothly to zero at the radius.",
          choices=_kernels(), optional=False),
    Param("boundary", "Clip to", "layer", "Draw the surface only inside this boundary "
          "layer (e.g. the partnership area).", layer_kinds=("areas",)),
    Param("weights", "Neighbours", "choice", "Which areas count as neighbours: queen = "
          "sharing a corner or edge; rook = sharing an edge; knn:8 = 8 nearest; distance:800 = "
          "centres within 800 m.", choices=_weights(), optional=False),
    Param("alpha", "Significance level", "number", "Chance of calling a spot 'hot' by luck: "
          "0.05 = 95% confidence, 0.01 = 99%. Smaller values mark fewer, surer hotspots.",
          minimum=0.001, maximum=0.2, optional=False),
    Param("fdr", "Correct for many tests (FDR)", "bool", "Adjust the significance for testing "
          "every area at once (false discovery rate). Recommended: fewer false hotspots."),
    Param("permutations", "Permutations", "int", "Random shuffles used for pseudo p-values; "
          "0 uses the normal approximation. More permutations = steadier results, slower.",
          minimum=0, maximum=99999, optional=False, advanced=True),
    Param("seed", "Random seed", "int", "Fixes the random shuffles so the result repeats "
          "exactly.", minimum=0, maximum=2**31 - 1, advanced=True),
    Param("value", "Value field", "column", "Use this field of the areas instead of counting "
          "records (e.g. a rate computed earlier).", of="areas"),
    Param("small_number", "Small-number threshold", "int", "Counts below this are flagged as "
          "unreliable (and suppressed in exports).", minimum=0, maximum=100, optional=False),
    Param("confidence", "Confidence level", "number", "Width of the confidence intervals "
          "around each rate: 0.95 = 95% intervals.", minimum=0.5, maximum=0.999,
          optional=False),
    Param("services", "Services", "layer", "Service locations (points), e.g. treatment "
          "services or pharmacies.", layer_kinds=("points",), optional=False),
    Param("capacity", "Capacity field", "column", "Places at each service. (none) counts "
          "each service as 1.", of="services"),
    Param("catchment", "Catchment", "number", "How far people travel to a service, in metres "
          "(1,600 m is about a 20-minute walk).", minimum=100, maximum=50000, unit=" m",
          optional=False),
    Param("demand", "Demand field", "column", "People who need the service in each area "
          "(usually the population).", of="areas", optional=False),
    Param("need", "Need", "column", "What measures need in each area: a record layer "
          "(counted per area, e.g. arrests) or a field of the areas (e.g. an IMD score).",
          of="areas", optional=False, also_layers=("points",)),
    Param("surface", "Hotspot surface", "layer", "A KDE result to evaluate.",
          layer_kinds=("surface",)),
    Param("top_percent", "Top share of the area", "number", "The hottest share of the map "
          "counted as 'hotspot', in percent of the area.", minimum=0.1, maximum=50,
          unit=" %", optional=False),
    Param("name", "Result layer name", "text", "Name of the new layer (must be unique).",
          optional=False),
]}

def _cells_or_areas_params() -> list:
    """Areas or grid cells of records: the fields Gi* and LISA share."""
    return [Param("areas", "Areas", "layer", COMMON["areas"].help, layer_kinds=("areas",),
                  optional=True),
            Param("points", "Records", "layer", _REC + " Leave (none) to test a value field "
                  "instead.", layer_kinds=("points",)),
            Param("cell_size", "Grid cell size", "number", "Test a grid of square cells of "
                  "this width (metres) instead of areas. Blank: use areas.", minimum=25,
                  maximum=5000, unit=" m")]


FORMS: dict[str, FormSpec] = {
    "count": FormSpec("count", "Counts and rates per area",
                      "Counts records in each area and, with a population field, the rate per "
                      "10,000 residents with exact (Byar) confidence intervals."),
    "kde": FormSpec("kde", "Kernel density (KDE) hotspots",
                    "A smooth surface of record density in records per km². Hotspots are the "
                    "darkest cells. Sensitive layers get a minimum radius (disclosure control).",
                    [Param("weight", "Weight field", "column", "Count each record this many "
                           "times (e.g. number of needles found). (none) counts each once.",
                           of="points"),
                     Param("edge_correction", "Correct for the boundary", "bool", "With a "
                           "study area: raise cells near its edge, where part of the radius "
                           "falls outside and can hold no records.", advanced=True),
                     Param("min_bandwidth", "Minimum radius", "number", "Never use a radius "
                           "below this (metres).", minimum=10, maximum=5000, unit=" m",
                           advanced=True)]),
    "gistar": FormSpec("gistar", "Getis-Ord Gi* hot and cold spots",
                       "Tests whether each area and its neighbours together have more (hot) or "
                       "fewer (cold) records than chance would give, at 90/95/99% confidence.",
                       _cells_or_areas_params()),
    "lisa": FormSpec("lisa", "Local Moran's I (LISA) clusters",
                     "Finds clusters of high values (High-High), low values (Low-Low) and "
                     "outliers (High-Low, Low-High) among neighbouring areas or grid cells.",
                     _cells_or_areas_params()),
    "change": FormSpec("change", "Change over time",
                       "Compares two periods: per-area change with a significance test, a KDE "
                       "difference surface, or hotspot classes (new, persistent, ended).",
                       [Param("period_a", "First period", "text", "e.g. 2018Q4, 2018-10 or "
                              "2018 (blank: the earliest full period)"),
                        Param("period_b", "Second period", "text", "e.g. 2019Q1 (blank: the "
                              "latest full period)"),
                        Param("kind", "Period length", "choice", "Length of each period.",
                              choices=("month", "quarter", "year", "financial_year"),
                              optional=False),
                        Param("mode", "Compare as", "choice", "areas: change per area; kde: "
                              "difference of density surfaces; classes: hotspot classes.",
                              choices=("areas", "kde", "classes"), optional=False),
                        Param("areas", "Areas", "layer", COMMON["areas"].help,
                              layer_kinds=("areas",))]),
    "composite": FormSpec("composite", "Composite hotspot index",
                          "Combines several record layers (e.g. arrests, needle finds, "
                          "crack houses) into one weighted density surface.",
                          [Param("layers", "Record layers", "layers", "Tick the layers to "
                                 "combine (equal weights).", layer_kinds=("points",),
                                 optional=False),
                           Param("cell_size", "Cell size", "number", COMMON["cell_size"].help,
                                 minimum=5, maximum=5000, unit=" m", optional=False),
                           Param("bandwidth", "Search radius (bandwidth)", "number",
                                 COMMON["bandwidth"].help, minimum=10, maximum=20000,
                                 unit=" m", optional=False),
                           Param("normalise", "Scale each layer by", "choice", "max: each "
                                 "layer's peak = 1; sum: each layer's total = 1; none.",
                                 choices=("max", "sum", "none"), optional=False)]),
    "pai": FormSpec("pai", "Predictive accuracy index (PAI)",
                    "How well a hotspot map predicts records: the share of records in the "
                    "hottest part of the map divided by that part's share of the area.",
                    [Param("earlier", "Earlier records", "layer", "Optional: a second record "
                           "layer for the recapture rate index.", layer_kinds=("points",)),
                     Param("areas", "Areas", "layer", "Alternatively: areas with a hot flag.",
                           layer_kinds=("areas",)),
                     Param("hot", "Hot flag field", "column", "Areas: field that is true for "
                           "hotspots.", of="areas")]),
    "deprivation": FormSpec("deprivation", "Deprivation (IMD) profile",
                            "Joins IMD 2019 deciles to the areas and summarises records and "
                            "services by deprivation decile.",
                            [Param("decile", "IMD decile field", "column", "1 = most deprived "
                                   "10% nationally.", of="areas", optional=False),
                             Param("score", "IMD score field", "column", "Higher = more "
                                   "deprived.", of="areas", optional=False),
                             Param("population", "Population field", "column",
                                   COMMON["population"].help, of="areas", optional=False),
                             Param("points", "Record layers", "layers", "Layers to profile by "
                                   "decile.", layer_kinds=("points",)),
                             Param("wards", "Wards", "layer", "Optional ward layer for a ward "
                                   "summary.", layer_kinds=("areas",))]),
    "coverage": FormSpec("coverage", "Service coverage (2SFCA) and gaps",
                         "Places per 1,000 people within reach of each area (two-step "
                         "floating catchment), and areas of high need with low access.",
                         [Param("method", "Method", "choice", "2sfca: places per person in "
                                "reach; e2sfca: with distance decay; nearest: distance to the "
                                "nearest service.", choices=("2sfca", "e2sfca", "nearest"),
                                optional=False),
                          Param("decay", "Distance decay", "choice", "How access fades "
                                "within the catchment.", choices=("none", "step", "gaussian")),
                          Param("deprivation", "Deprivation field", "column", "Used for the "
                                "IMD x access map.", of="areas", optional=False),
                          Param("need", "Need (for the gap map)", "column", "A record layer "
                                "counted per area (e.g. arrests) or a field of the areas. "
                                "(none): no gap map.", of="areas", also_layers=("points",))]),
    "whatif": FormSpec("whatif", "What-if: add or remove a service site",
                       "Recomputes access if a service opens at a place (x, y in metres) or "
                       "closes, and maps the change per area.",
                       [Param("add", "New sites", "literal", "A list of [easting, northing] "
                              "pairs in metres, e.g. [[359000, 173000]]."),
                        Param("remove", "Close services", "literal", "A list of service ids, "
                              "e.g. [\"S03\"]."),
                        Param("add_capacity", "Places at each new site", "number",
                              "Capacity of each added site.", minimum=0, maximum=100000,
                              optional=False)]),
    "disproportion": FormSpec("disproportion", "Disproportionality",
                              "Compares each group's share of records (e.g. arrests by "
                              "ethnicity) with its share of the population, with confidence "
                              "intervals.",
                              [Param("category", "Group field", "column", "The field holding "
                                     "the group of each record, e.g. ethnicity.", of="records",
                                     optional=False),
                               Param("population", "Population table", "literal", "The "
                                     "population by group: a table layer name or "
                                     "{group = count, ...}.", optional=False)]),
    "trend": FormSpec("trend", "Trend over time",
                      "Monthly counts with a rolling mean, each quarter against the same "
                      "quarter a year earlier (with an exact test), and the seasonal profile. "
                      "Charts and tables state the base n.",
                      [Param("window", "Rolling mean (months)", "int", "Months averaged in the "
                             "trend line; 3 smooths out month-to-month noise.", minimum=1,
                             maximum=24, optional=False),
                       Param("start", "From", "text", "First date to include, e.g. 2023-04-01. "
                             "Blank: the first record."),
                       Param("end", "To", "text", "Last date to include. Blank: the last record."),
                       Param("events", "Marked events", "literal", "Dates to mark on the chart, "
                             "e.g. {\"2024-08-24\" = \"Festival\"}.", advanced=True),
                       Param("units", "What is counted", "text", "Word used on the charts, "
                             "e.g. arrests or offences.", optional=False)]),
    "crackhouses": FormSpec("crackhouses", "Crack-house lifecycle",
                            "Premises operating at a date, closures per quarter, the share of "
                            "closed premises reopened within 3, 6 and 12 months, and time to "
                            "reopening (Kaplan-Meier, allowing for premises still closed).",
                            [Param("census_date", "Census date", "text", "Date the records run "
                                   "to, e.g. 2025-03-31; premises not reopened by then count as "
                                   "still closed. Blank: the latest date in the records."),
                             Param("date", "Map status at", "text", "Date for the map of open, "
                                   "closed and reopened premises. Blank: the census date."),
                             Param("windows", "Reopening windows (months)", "literal",
                                   "e.g. [3, 6, 12].", advanced=True),
                             Param("units", "Time unit", "choice", "Units of the Kaplan-Meier "
                                   "table and chart.", choices=("days", "months"),
                                   optional=False)]),
    "needles": FormSpec("needles", "Needle collection response times",
                        "Median and 90th-percentile time from report to collection, by month "
                        "and area, the share collected within the target, and slow areas. "
                        "Reports with no collection time are flagged, not dropped.",
                        [Param("areas", "Areas", "layer", "Boundary layer for the per-area "
                               "tables and the slow-areas map (optional).",
                               layer_kinds=("areas",)),
                         Param("target_hours", "Target", "number", "Collection target in hours "
                               "(24 by default).", minimum=0.5, maximum=720, unit=" h",
                               optional=False),
                         Param("min_collected", "Fewest collections per area", "int", "Areas "
                               "with fewer collected finds are not ranked (too few to judge).",
                               minimum=1, maximum=100, optional=False),
                         Param("measure", "Slow-area measure", "choice", "Rank areas by the "
                               "median or the 90th percentile response time.",
                               choices=("median_hours", "p90_hours"), optional=False)]),
    "venues": FormSpec("venues", "Activity around venues",
                       "Records within a distance of each venue (clubs, schools, hostels, "
                       "services), their share of all records, and the share expected if "
                       "records were spread by area or by population.",
                       [Param("venues", "Venues", "layer", "Venue locations (points).",
                              layer_kinds=("points",), optional=False),
                        Param("radius", "Distance", "number", "Records this close to a venue "
                              "count as 'around' it, in metres.", minimum=10, maximum=5000,
                              unit=" m", optional=False),
                        Param("study_area", "Study area", "layer", "Boundary layer for the "
                              "expected share by area.", layer_kinds=("areas",)),
                        Param("population", "Population areas", "layer", "Areas with a "
                              "population field, for the expected share by population.",
                              layer_kinds=("areas",)),
                        Param("population_column", "Population field", "column", "Residents "
                              "per area.", of="population"),
                        Param("name_column", "Venue name field", "column", "Names shown in "
                              "the ranked table.", of="venues"),
                        Param("venue_kind", "Kind of venue", "text", "Word used in titles, "
                              "e.g. club or pharmacy.", optional=False)]),
    "funnel": FormSpec("funnel", "Funnel plot",
                       "Each area's rate per 10,000 against its population, with 95% and "
                       "99.8% exact Poisson control limits around the overall rate (PHE "
                       "method). Areas outside the limits are labelled: this is the fair way "
                       "to say which areas stand out given their size.",
                       [Param("points", "Records", "layer", _REC, layer_kinds=("points",)),
                        Param("count", "Count field", "column", "Use this field of the areas "
                              "as the count instead of counting records.", of="areas"),
                        Param("label", "Label field", "column", "Area names for the labels.",
                              of="areas"),
                        Param("multiplier", "Rate per", "number", "10,000 = rate per 10,000 "
                              "residents.", minimum=1, maximum=1e6, optional=False),
                        Param("comparators", "Comparator areas", "literal", "A table layer or "
                              "CSV path with name, count and population of peer areas.",
                              advanced=True)]),
    "breakdown": FormSpec("breakdown", "Breakdown by age, gender and ethnicity",
                          "Counts and percentages with their base n and Wilson 95% "
                          "intervals for each group; counts below the threshold show as <5.",
                          [Param("by", "Break down by", "literal", "Fields to break down by, "
                                 "e.g. [\"age_band\", \"gender\", \"ethnicity\"].",
                                 optional=False),
                           Param("population", "Group populations", "literal", "Optional: a "
                                 "table layer or CSV with the population of each group, for "
                                 "rates per 10,000 and disproportionality.", advanced=True),
                           Param("threshold", "Suppress counts below", "int", "Blank: the "
                                 "project's suppression threshold (5).", minimum=1,
                                 maximum=100)]),
}


def parse_literal(text: str):
    """Parse a TOML value typed by the user (``5``, ``"a"``, ``[1, 2]``, ``true``); bare words are strings."""
    import tomllib

    text = text.strip()
    if not text:
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def form_for(kind: str) -> FormSpec:
    """The form of an analysis kind: its spec, completed from the step function's signature."""
    from mapping.pipeline import get_step

    func = get_step(kind)
    base = FORMS.get(kind) or FormSpec(kind, kind.replace("_", " ").capitalize(),
                                       (inspect.getdoc(func) or "").split("\n\n")[0])
    own = {p.name: p for p in base.params}
    params = []
    for pname, sp in inspect.signature(func).parameters.items():
        if pname == "ctx" or sp.kind in (sp.VAR_KEYWORD, sp.VAR_POSITIONAL):
            continue
        default = None if sp.default is NO_DEFAULT else sp.default
        if isinstance(default, tuple):
            default = list(default)
        p = own.get(pname) or COMMON.get(pname) or Param(
            pname, pname.replace("_", " ").capitalize(), "literal",
            "A value as the project file writes it (number, \"text\", [list]). Blank: default.",
            advanced=True)
        p = replace(p, default=default if pname != "name" else kind)
        if sp.default is NO_DEFAULT:
            p = replace(p, optional=False)
        params.append(p)
    return FormSpec(kind, base.title, base.description, params)


def validate_params(spec: FormSpec, values: dict, layers) -> list[str]:
    """Check values before running; return plain-words problems (empty list = fine).

    Checks required fields, numeric bounds, layer kinds, columns, geographic CRS
    (distances need metres) and filter syntax.
    """
    problems = []
    names = layers.names() if hasattr(layers, "names") else list(layers)
    for p in spec.params:
        v = values.get(p.name)
        if v in (None, "", []):
            if not p.optional:
                problems.append(f"{p.label}: please fill this in.")
            continue
        if p.kind in ("number", "int"):
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                problems.append(f"{p.label}: '{v}' is not a number.")
                continue
            if p.minimum is not None and v < p.minimum or p.maximum is not None and v > p.maximum:
                problems.append(f"{p.label}: {v:g}{p.unit} is outside {p.minimum:g}–"
                                f"{p.maximum:g}{p.unit}.")
        if p.kind in ("layer", "layers"):
            for name in (v if isinstance(v, list) else [v]):
                if name not in names:
                    problems.append(f"{p.label}: there is no layer called '{name}'.")
                    continue
                layer = layers[name]
                if p.layer_kinds and layer.kind not in p.layer_kinds:
                    problems.append(f"{p.label}: '{name}' is a {layer.kind} layer; this needs "
                                    f"{' or '.join(p.layer_kinds)}.")
                crs = getattr(layer.data, "crs", None)
                if crs is not None and not getattr(crs, "is_projected", True):
                    problems.append(f"{p.label}: '{name}' is in a geographic CRS (degrees), so "
                                    "distances would be wrong. Fix: re-import it with the CRS "
                                    "set, so it is converted to British National Grid "
                                    "(EPSG:27700, metres).")
        if p.kind == "column" and p.of:
            lname = values.get(p.of)
            if p.also_layers and v in names and layers[v].kind in p.also_layers:
                continue
            if isinstance(lname, str) and lname in names:
                data = layers[lname].data
                if hasattr(data, "columns") and v not in data.columns:
                    problems.append(f"{p.label}: layer '{lname}' has no field '{v}'.")
        if p.name in ("filter", "earlier_filter") and isinstance(v, str):
            try:
                from mapping.filters import parse_filter

                parse_filter(v)
            except Exception as exc:  # noqa: BLE001 - reported as a problem
                problems.append(f"{p.label}: {exc}")
    rname = values.get("name")
    if isinstance(rname, str) and rname.strip() == "":
        problems.append("Result layer name: please give the new layer a name.")
    return problems
