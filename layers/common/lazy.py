"""Lazy package attributes (PEP 562), shared by the ``layers`` and ``mapping`` packages.

A package lists which module provides each public name; the module is imported
the first time the name is used, so importing the package stays cheap.
"""

from __future__ import annotations

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(package: str, namespace: dict, exports: dict[str, list[str]]):
    """Return ``(__getattr__, __dir__, __all__)`` for a package's ``__init__``.

    Parameters
    ----------
    package : str
        The package's name, for error messages.
    namespace : dict
        The package's ``globals()``; a loaded name is cached there.
    exports : dict
        ``{module: [public names it provides]}``.
    """
    where = {name: module for module, names in exports.items() for name in names}
    public = sorted(where)

    def __getattr__(name: str):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(public))

    return __getattr__, __dir__, public
