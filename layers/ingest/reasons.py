"""First-reason-wins rejection bookkeeping for the rows of one file.

Used by :class:`layers.ingest.frame.FrameLoader` and the helpers it calls
(:mod:`layers.ingest.places`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Reasons", "why_undated"]


class Reasons:
    """First-reason-wins rejection bookkeeping for one file.

    The reason and detail arrays are allocated on the first rejection, and a
    boolean mask tracks which rows already have one, so a clean million-row
    file costs no object arrays and no scans of them.
    """

    def __init__(self, n):
        self.n = n
        self.taken = np.zeros(n, bool)
        self._reason = None
        self._detail = None

    def _arrays(self):
        if self._reason is None:
            self._reason = np.full(self.n, None, dtype=object)
            self._detail = np.full(self.n, "", dtype=object)
        return self._reason, self._detail

    def add(self, mask, reason, detail=""):
        mask = np.asarray(mask, bool) & ~self.taken
        if not mask.any():
            return 0
        r, d = self._arrays()
        r[mask] = reason
        d[mask] = detail[mask] if isinstance(detail, np.ndarray) else detail
        self.taken |= mask
        return int(mask.sum())

    def add_array(self, reason_arr, detail_arr, where=None):
        if reason_arr.ndim == 1 and reason_arr.strides == (0,) and len(reason_arr) and \
                pd.isna(reason_arr[0]):
            return  # one value for every row (a broadcast view), and it is "no reason"
        m = pd.notna(reason_arr) & ~self.taken
        if where is not None:
            m &= where
        if not m.any():
            return
        r, d = self._arrays()
        r[m] = reason_arr[m]
        d[m] = detail_arr[m]
        self.taken |= m

    @property
    def ok(self):
        return ~self.taken

    @property
    def reason(self):
        return self._arrays()[0]

    @property
    def detail(self):
        return self._arrays()[1]


def why_undated(detail: np.ndarray) -> str:
    """A count of the kinds of unreadable date, for the message (no values quoted)."""
    kinds = pd.Series(detail, dtype=object).map(
        lambda d: "in another day/month order than the rest of the column" if "reads only" in d
        else "not a real calendar date" if "not a real date" in d
        else "an impossible time of day" if "time of day" in d
        else "does not match the date format" if "does not match" in d
        else "not a recognised date format").value_counts()
    return ", ".join(f"{k}: {v:,}" for k, v in kinds.items())
