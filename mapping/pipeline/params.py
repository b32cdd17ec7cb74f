"""Inputs and parameters that mean the same in every analysis, declared once.

An analysis takes these as they are, or tailors one with ``.but(...)`` (a
different default, a required flag, wording that fits the analysis).
"""

from __future__ import annotations

from mapping.pipeline.declare import REQUIRED, Input, Param

__all__ = ["POINTS", "RECORDS", "AREAS", "AREA_ID", "FILTER", "POPULATION", "BOUNDARY",
           "CELL_SIZE", "BANDWIDTH", "KERNEL", "WEIGHTS", "ALPHA", "FDR", "PERMUTATIONS",
           "SEED", "UNITS", "KERNELS", "WEIGHT_CHOICES", "PERIOD_KINDS"]

KERNELS = ("quartic", "triangular", "uniform", "epanechnikov", "triweight")
WEIGHT_CHOICES = ("queen", "rook", "knn:8", "distance:800")
PERIOD_KINDS = ("month", "quarter", "year", "financial_year")

_REC = ("The record layer to analyse (points), e.g. police.uk street crimes or arrests. "
        "Several files (e.g. one police.uk CSV per month) form one layer.")

# ---------------------------------------------------------------------- inputs
POINTS = Input("points", "records", "Records", _REC, many=True, filter_param="filter",
               result_kinds=("points",))
RECORDS = POINTS.but(name="records", cli="--points")
AREAS = Input("areas", "areas", "Areas", "Boundary layer whose areas are counted or tested, "
              "e.g. LSOAs or wards. Results are drawn on these areas.", id_param="area_id",
              result_kinds=("areas", "grid"))
BOUNDARY = Input("boundary", "areas", "Clip to", "Study area: only the part of the grid "
                 "inside this boundary layer is analysed and drawn (e.g. the partnership "
                 "area).", required=False, result_kinds=("areas",))

# ------------------------------------------------------------------ parameters
AREA_ID = Param("area_id", "column", "Area code field", "The field holding each area's "
                "code (e.g. LSOA11CD). Blank: the code field found when the boundaries were "
                "read.", of="areas")
FILTER = Param("filter", "expr", "Only records where", "Keep only the records matching "
               "this expression, e.g. crime_type == 'Drugs'  or  drug_class == 'A' and "
               "date >= '2018-11-01'. Blank uses every record. The filter is stated on "
               "every output.")
POPULATION = Param("population", "area_table", "Population", "Residents per area, the "
                   "denominator of rates per 10,000 residents. Blank maps plain counts.",
                   of="areas")
CELL_SIZE = Param("cell_size", "float", "Cell size", "Grid cell width in metres. Smaller "
                  "cells give a finer map but take longer. Blank: the shorter side of the "
                  "area / 250, rounded.", unit="m", minimum=5, maximum=5000)
BANDWIDTH = Param("bandwidth", "float", "Search radius (bandwidth)", "How far each record's "
                  "influence spreads, in metres. Larger radii give smoother, broader "
                  "hotspots; smaller ones pick out single streets. Blank: chosen from the "
                  "data (spatial Silverman rule). Sensitive layers are never smoothed less "
                  "than the project's minimum.", unit="m", minimum=10, maximum=20000)
KERNEL = Param("kernel", "choice", "Kernel shape", "How influence fades with distance; "
               "quartic (the usual choice for crime mapping) fades smoothly to zero at the "
               "radius.", default="quartic", choices=KERNELS)
WEIGHTS = Param("weights", "choice", "Neighbours", "Which areas count as neighbours: queen = "
                "sharing a corner or edge; rook = sharing an edge; knn:K = the K nearest; "
                "distance:M = centres within M metres.", default="queen",
                choices=WEIGHT_CHOICES)
ALPHA = Param("alpha", "float", "Significance level", "Chance of calling a spot 'hot' by "
              "luck: 0.05 = 95% confidence, 0.01 = 99%. Smaller values mark fewer, surer "
              "hotspots.", default=0.05, minimum=0.0001, maximum=0.5)
FDR = Param("fdr", "bool", "Correct for many tests (FDR)", "Adjust the significance for "
            "testing every area at once (Benjamini-Hochberg false discovery rate). "
            "Recommended: fewer false hotspots.", default=True)
PERMUTATIONS = Param("permutations", "int", "Permutations", "Random shuffles used for "
                     "pseudo p-values; 0 uses the normal approximation. More permutations = "
                     "steadier results, slower.", default=0, minimum=0, maximum=99999,
                     advanced=True)
SEED = Param("seed", "int", "Random seed", "Fixes the random shuffles so the result repeats "
             "exactly.", minimum=0, maximum=2**32 - 1, advanced=True)
UNITS = Param("units", "text", "What is counted", "The word used in titles and charts, e.g. "
              "arrests or Drugs offences. Blank: from the records' kind and filter.")

ENGINE = Param("engine", "choice", "Engine", "Where the loops over records run: default = "
               "this process; dask = the workers of a dask.distributed cluster (for national "
               "or multi-year layers of tens of millions of records). Blank: the project's "
               "[compute] engine, else default. The results are identical.",
               choices=("default", "dask"), advanced=True)
SCHEDULER = Param("scheduler", "text", "Dask scheduler", "Address of a running dask scheduler "
                  "(tcp://host:8786) for the dask engine. Blank: the project's [compute] "
                  "scheduler, else a cluster of one worker per core on this machine.",
                  advanced=True)

#: Used where a declaration needs a parameter to be given.
_ = REQUIRED
