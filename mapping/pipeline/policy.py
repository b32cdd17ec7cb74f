"""The project's policy, decided once and read by every front and every writer.

A :class:`Policy` holds the disclosure rules (the project file's
``[disclosure]`` table, or the command line's ``--suppress-below`` and
``--min-bandwidth``), the extra attribution lines and whether the data is
fictional.  The runner hands it to every computation (``ctx.policy``) and
every writer; no front decides a threshold, a minimum bandwidth or a
licence line of its own.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields

from layers.common.errors import ProjectError
from mapping.disclosure.rules import DisclosureRules

__all__ = ["Policy", "DISCLOSURE_KEYS"]

#: Keys of the project file's ``[disclosure]`` table.
DISCLOSURE_KEYS = tuple(f.name for f in fields(DisclosureRules))


@dataclass
class Policy:
    """Disclosure rules, attribution and fictional flag of one run.

    Attributes
    ----------
    rules : DisclosureRules
    attribution : list of str
        Extra licence keys or lines (``--attribution``; project sources add
        their own lines to their layers).
    fictional : bool
        Outputs say FICTIONAL DATA.
    """

    rules: DisclosureRules = field(default_factory=DisclosureRules)
    attribution: list = field(default_factory=list)
    fictional: bool = False

    @classmethod
    def from_table(cls, table: dict | None, *, where: str = "[disclosure]", path=None,
                   **kw) -> "Policy":
        """Build from a ``[disclosure]`` table, checking its keys and types."""
        table = dict(table or {})
        unknown = sorted(set(table) - set(DISCLOSURE_KEYS))
        if unknown:
            from layers.project import ProjectWarning

            warnings.warn(f"{path or 'project'}: {where}: unknown key(s) {', '.join(unknown)} "
                          f"ignored (known: {', '.join(DISCLOSURE_KEYS)})", ProjectWarning,
                          stacklevel=3)
        ref = DisclosureRules()
        clean = {}
        for k in DISCLOSURE_KEYS:
            if k not in table:
                continue
            v, want = table[k], type(getattr(ref, k))
            if want is bool and not isinstance(v, bool):
                raise ProjectError(f"{where} {k} must be true or false, not {v!r}", path=path)
            if want in (int, float) and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ProjectError(f"{where} {k} must be a number, not {v!r}", path=path)
            clean[k] = want(v)
        rules = DisclosureRules(**clean)
        if rules.threshold < 0:
            raise ProjectError(f"{where} threshold must be 0 or more", path=path)
        if rules.min_kde_bandwidth_m < 0:
            raise ProjectError(f"{where} min_kde_bandwidth_m must be 0 or more", path=path)
        if rules.threshold == 0:  # nothing to suppress: say so rather than print "<0"
            rules.enabled = False
        return cls(rules=rules, **kw)

    @classmethod
    def from_project(cls, project) -> "Policy":
        """The policy a project file declares (defaults when it declares none)."""
        if project is None:
            return cls()
        return cls.from_table(getattr(project, "disclosure", None), path=project.path,
                              fictional=bool(project.fictional),
                              attribution=list(getattr(project, "attribution", []) or []))

    # ------------------------------------------------------------- questions
    @property
    def threshold(self) -> int:
        """Counts 1 .. threshold-1 are suppressed and flagged as small numbers."""
        return int(self.rules.threshold) if self.rules.enabled else 0

    def kde_bandwidth(self, requested, sensitive: bool):
        """``(bandwidth, note)``: the bandwidth a KDE of (non-)sensitive records may use.

        A requested bandwidth below the minimum for sensitive layers is raised
        to it (with a note saying so); ``None`` (choose from the data) is
        passed through with the minimum returned separately by
        :meth:`min_bandwidth`.
        """
        floor = self.min_bandwidth(sensitive)
        if requested is None or floor is None or float(requested) >= floor:
            return requested, None
        return floor, (f"bandwidth raised from {float(requested):g} m to {floor:g} m, the "
                       "minimum for sensitive records (disclosure control)")

    def min_bandwidth(self, sensitive: bool):
        """The minimum KDE bandwidth in metres for this layer, or None."""
        if sensitive and self.rules.enabled and self.rules.min_kde_bandwidth_m > 0:
            return float(self.rules.min_kde_bandwidth_m)
        return None
