"""The public example files and filters the analyses' command-line examples name.

The files are in ``$HOTMAP_SHARED_DATA`` (the Bristol LSOAs, police.uk street
crimes of Avon and Somerset); each declaration's ``examples`` use them.
"""

from __future__ import annotations

__all__ = ["BRISTOL", "STREET", "DRUGS"]

BRISTOL = "bristol_lsoa2011_E06000023.geojson"
STREET = "2018-1*-avon-and-somerset-street.csv"
DRUGS = "--filter \"crime_type == 'Drugs'\""
