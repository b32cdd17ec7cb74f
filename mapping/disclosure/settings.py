"""The disclosure-control settings of a project, and what they say in every export's notes.

:class:`DisclosureRules` is stored in the project file; :func:`describe_rules`
states it in plain words; :func:`protection` is the width an attacker's interval
for a small count must keep (used by the cross-table audit,
:mod:`mapping.disclosure.audit`, and the class-band audit,
:mod:`mapping.disclosure.classes`).  The rules themselves are described in
:mod:`mapping.disclosure.rules`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

__all__ = ["DisclosureRules", "describe_rules", "is_sensitive", "protection"]


@dataclass
class DisclosureRules:
    """Disclosure-control settings (stored in the project file).

    Attributes
    ----------
    enabled : bool
        Master switch (on by default).
    threshold : int
        Counts below this (and above zero) are suppressed.
    suppress_zero : bool
        Also suppress zero counts.
    secondary : bool
        Apply secondary suppression so totals cannot reveal a suppressed cell.
    min_kde_bandwidth_m : float
        Minimum KDE bandwidth for sensitive layers, metres.
    min_interval : int
        Protection of a small count against an attacker holding every table of
        the run (:mod:`mapping.disclosure.audit`): the least and greatest value
        the published tables allow must stay at least this far apart (at most
        the label's own band, ``threshold - 2``).  Default 2: at least three
        values stay possible for a "<5".
    """

    enabled: bool = True
    threshold: int = 5
    suppress_zero: bool = False
    secondary: bool = True
    min_kde_bandwidth_m: float = 200.0
    min_interval: int = 2

    def to_dict(self) -> dict:
        """TOML-safe dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DisclosureRules":
        """Build from a project-file table, ignoring unknown keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    @property
    def small_label(self) -> str:
        """How a suppressed count is shown, e.g. ``"<5"``."""
        return f"<{self.threshold}"


def is_sensitive(layer) -> bool:
    """True if the layer (or its analysis meta) is marked sensitive."""
    return bool(getattr(layer, "sensitive", False) or (layer.meta or {}).get("sensitive"))


def describe_rules(rules: DisclosureRules) -> list[str]:
    """Plain-language lines stating the disclosure rules, for every export's notes."""
    if not rules.enabled:
        return ["Disclosure control was switched OFF for this export: small counts and "
                "sensitive locations may be shown. Do not publish."]
    zero = " and zero" if rules.suppress_zero else ""
    lines = [f"Disclosure control: counts of 1 to {rules.threshold - 1}{zero} are suppressed "
             f"(shown as {rules.small_label})"
             + (", with secondary suppression so totals cannot reveal them" if rules.secondary
                else "")
             + "; rates built on suppressed counts are suppressed; raw locations of sensitive "
             f"layers are not published; KDE of sensitive layers uses a bandwidth of at least "
             f"{rules.min_kde_bandwidth_m:g} m and leaves blank every cell with fewer than "
             f"{rules.threshold} events within one bandwidth."]
    return lines


def protection(rules: DisclosureRules) -> float:
    """The width an attacker's interval for a small count must keep (``min_interval``,
    at most the width of the label's band)."""
    band = (rules.threshold - 1) - (0 if rules.suppress_zero else 1)
    return float(max(0, min(int(rules.min_interval), band)))
