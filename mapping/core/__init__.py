"""Foundations every analysis reads: result metadata, filters, periods, CRS checks, limits, the raster surface."""
