"""The public example files and filters the analyses' command-line examples name.

The files are in ``$HOTMAP_SHARED_DATA`` (the Bristol LSOAs, police.uk street
crimes of Avon and Somerset); each declaration's ``examples`` use them.
"""

from __future__ import annotations

__all__ = ["BRISTOL", "STREET", "DRUGS", "WARDS", "IMD_FILES", "POP_FLAGS"]

BRISTOL = "bristol_lsoa2011_E06000023.geojson"
STREET = "2018-1*-avon-and-somerset-street.csv"
DRUGS = "--filter \"crime_type == 'Drugs'\""
WARDS = "bristol_wards2014_E06000023.geojson"
#: The national IMD 2019 files: MHCLG's deciles and ranks, mySociety's scores.
IMD_FILES = "imd2019_england_lsoa11_deciles_ranks.csv mysociety_UK_IMD_E_2019scores_all_uk.csv"
#: The command-line flags of the examples' population table.
POP_FLAGS = ("--population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa "
             "--population-field pop")
