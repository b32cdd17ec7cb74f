"""The desktop shell (Qt) and the ``hotmap`` command line.

Only this package imports Qt, and only inside the GUI modules; importing
``app`` or ``app.cli`` does not load PySide6.
"""
