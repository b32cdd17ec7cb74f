"""The statistics: counts and rates, KDE, Gi* and LISA (one permutation engine), change, composites, coverage."""
