"""The four strands of a local drug strategy, by which the audit pack is ordered.

Each analysis declares the strand its results belong to by default
(:attr:`mapping.pipeline.declare.Analysis.strand`); a project can put one of
its analyses in another strand with ``strand = "..."`` in its
``[[analyses]]`` entry (checked when the project is read, against
:data:`layers.project.STRAND_KEYS`).  The runner writes the strand into each
result's metadata (``ResultMeta.strand``); the audit pack groups its sections
by it, in the order below.  An analysis that declares none falls back on its
menu (hotspot analyses to supply, deprivation and audit questions to
communities).
"""

from __future__ import annotations

from layers.project import STRAND_KEYS

__all__ = ["STRANDS", "STRAND_KEYS", "strand_of", "strand_title"]

#: key -> (title, what the strand covers): the audit's four questions.
STRANDS = {
    "supply": ("Breaking drug supply",
               "Where drug offences, arrests and seizures are concentrated, how that is "
               "changing, and how well hotspot maps predict where they happen next."),
    "communities": ("Safer communities",
                    "The harm drug markets do to neighbourhoods: needle finds, crack houses, "
                    "activity around venues, and how it falls on deprived areas and groups."),
    "young_people": ("Young people and families",
                     "Who is involved, by age, gender and ethnicity, against the make-up "
                     "of the population."),
    "treatment": ("Treatment and recovery",
                  "Where treatment and harm-reduction services are, who can reach them, and "
                  "where need is high and access low."),
}
assert tuple(STRANDS) == STRAND_KEYS

_MENU_STRANDS = {"hotspots": "supply", "deprivation": "communities", "audit": "communities",
                 "treatment": "treatment"}


def strand_of(decl, override: str | None = None) -> str:
    """The strand of an analysis: the project's override, else its declared default, else the
    default of its menu section, else ``communities``."""
    if override:
        return override
    declared = getattr(decl, "strand", "") or ""
    if declared in STRANDS:
        return declared
    return _MENU_STRANDS.get(getattr(decl, "menu", ""), "communities")


def strand_title(key: str) -> str:
    """``"young_people"`` -> ``"Young people and families"``."""
    return STRANDS.get(key, (key.replace("_", " ").capitalize(), ""))[0]
