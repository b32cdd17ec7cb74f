"""One module per ``hotmap`` verb; see :mod:`app.cli` for the convention."""
