"""Writing files: map images, GeoPackage/GeoTIFF/tables, the HTML map, the audit pack (DOCX), worker processes."""
