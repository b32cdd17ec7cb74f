"""Drawing: the one renderer for screen and export, page layout, legend, scale bar, palettes, charts."""
