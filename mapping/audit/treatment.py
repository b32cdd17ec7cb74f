"""Treatment waiting times against a target, and retention in treatment, by group.

Input: one row per treatment episode (an NDTMS-style extract), with the
referral date, the first intervention date, the exit date and the exit
reason, and group columns (age group, gender, ethnicity, substance, tier).

Waiting times (:func:`treatment_waits`)
    The wait is ``first intervention − referral`` in whole days.  For each
    group: episodes started (``n``), those within ``target_days``
    (``within_target``) and their share with a Wilson score interval
    (Newcombe 1998, method 3), the median, quartiles and 90th percentile of
    the wait.  Episodes referred but not yet started at the census date are
    not in the share (their wait is not known yet): they are counted as
    ``waiting_now`` and ``waiting_now_over_target``.  Young people's tier 3
    treatment is usually measured against 10 days, adults' against 21
    (three weeks).

Retention (:func:`treatment_retention`)
    An episode is *retained* when it lasted at least ``weeks`` (12) weeks,
    or ended earlier in a successful completion (NDTMS's "retained 12 weeks
    or completed").  Only episodes that started at least ``weeks`` before the
    census date can be judged (``eligible``); the share retained is given
    with its Wilson interval, and the share of exits that were successful
    completions.

Both give one row for everyone (``group = "All"``) and one per value of each
``by`` column; blank group values are "Not recorded".

References: Newcombe RG (1998) *Stat Med* 17:857-872; OHID (2023)
*National Drug Treatment Monitoring System: waiting times and retention
measures*; Public Health England (2019) Young people's substance misuse
treatment standards.

Public functions: :func:`treatment_waits`, :func:`treatment_retention`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["treatment_waits", "treatment_retention", "COMPLETED_REASONS"]

#: Exit reasons read as a successful completion (compared without case).
COMPLETED_REASONS = ("completed", "completed - drug free", "completed drug free",
                     "completed - alcohol free", "completed - occasional user",
                     "successful completion", "treatment completed")


def _dates(df, col, label):
    if col not in df.columns:
        raise AnalysisError(f"the episodes have no '{col}' column ({label})", column=col,
                            fix=f"name the {label} column")
    from mapping.stats.timeprofile import as_datetimes

    return as_datetimes(df[col], col).reset_index(drop=True)


def _groups(df, by):
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [b for b in by if b not in df.columns]
    if missing:
        raise AnalysisError(f"the episodes have no column(s) {missing}", column=missing[0],
                            fix=f"choose from: {', '.join(map(str, df.columns[:25]))}")
    out = [("All", "All", np.ones(len(df), bool))]
    for b in by:
        v = df[b].astype("string").str.strip().fillna("").reset_index(drop=True)
        v = v.where(v != "", "Not recorded")
        for val in sorted(v.unique(), key=lambda s: (s == "Not recorded", s)):
            out.append((b, val, (v == val).to_numpy()))
    return out


def _census(census_date, *series):
    if census_date is not None:
        return pd.Timestamp(census_date)
    latest = [s.max() for s in series if s.notna().any()]
    if not latest:
        raise AnalysisError("no dates to take a census date from", fix="set census_date")
    return max(latest)


def treatment_waits(episodes, *, referral: str = "referral_date",
                    start: str = "first_intervention_date", target_days: float = 21,
                    by=None, census_date=None, level: float = 0.95) -> pd.DataFrame:
    """Waiting time from referral to first intervention against a target, by group.

    Parameters
    ----------
    episodes : DataFrame
        One row per episode.
    referral, start : str
        Referral and first-intervention date columns.
    target_days : float
        Target wait in days (21 = three weeks; 10 for young people's tier 3).
    by : str or list of str, optional
        Group columns (e.g. ``age_group``, ``gender``).
    census_date : date, optional
        Date the extract was taken (default: the latest date in it).
    level : float
        Confidence level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``group``, ``value``, ``n``, ``within_target``, ``pct_within``,
        ``ci_low``, ``ci_high`` (percent), ``median_days``, ``q1_days``,
        ``q3_days``, ``p90_days``, ``waiting_now``, ``waiting_now_over_target``;
        ``attrs['meta']``.
    """
    from mapping.stats.rates import wilson_ci

    ref, st = _dates(episodes, referral, "referral date"), _dates(episodes, start, "start date")
    census = _census(census_date, ref, st)
    wait = (st - ref).dt.days
    bad = (wait < 0).to_numpy()
    no_ref = ref.isna().to_numpy()
    started = (wait.notna() & ~bad & (st <= census)).to_numpy()
    waiting = (ref.notna() & st.isna() & (ref <= census)).to_numpy()
    waited_so_far = (census - ref).dt.days.to_numpy()
    rows = []
    for group, value, m in _groups(episodes, by):
        s = m & started
        w = wait[s].to_numpy(float)
        n, k = int(s.sum()), int((w <= target_days).sum())
        lo, hi = wilson_ci(k, n, level) if n else (np.nan, np.nan)
        q = np.percentile(w, [25, 50, 75, 90]) if n else [np.nan] * 4
        rows.append({"group": group, "value": value, "n": n, "within_target": k,
                     "pct_within": 100 * k / n if n else np.nan, "ci_low": 100 * float(lo),
                     "ci_high": 100 * float(hi), "median_days": q[1], "q1_days": q[0],
                     "q3_days": q[2], "p90_days": q[3], "waiting_now": int((m & waiting).sum()),
                     "waiting_now_over_target": int((m & waiting & (waited_so_far > target_days))
                                                    .sum())})
    out = pd.DataFrame(rows)
    notes = []
    if bad.any():
        notes.append(f"{int(bad.sum())} episodes start before their referral and are left out")
    if no_ref.any():
        notes.append(f"{int(no_ref.sum())} episodes have no referral date and are left out")
    out.attrs["meta"] = {
        "title": f"Waiting times: share starting treatment within {target_days:g} days",
        "units": "episodes; percent; days",
        "method": (f"wait = first intervention − referral (days); share within "
                   f"{target_days:g} days with a {level:.0%} Wilson score interval; episodes "
                   "not yet started are counted separately"),
        "params": {"referral": referral, "start": start, "target_days": target_days,
                   "by": by, "census_date": str(census.date()), "level": level},
        "base_n": int(started.sum()), "period": _span(ref),
        "references": ["Newcombe RG (1998) Stat Med 17:857-872",
                       "OHID: NDTMS waiting times measures"],
        "count_columns": ["n", "within_target", "waiting_now", "waiting_now_over_target"],
        "rate_columns": ["pct_within", "ci_low", "ci_high", "median_days", "q1_days",
                         "q3_days", "p90_days"],
        "notes": notes,
    }
    return out


def treatment_retention(episodes, *, start: str = "first_intervention_date",
                        exit: str = "exit_date", reason: str | None = "exit_reason",
                        weeks: float = 12, completed=COMPLETED_REASONS, by=None,
                        census_date=None, level: float = 0.95) -> pd.DataFrame:
    """Share of episodes retained ``weeks`` weeks (or completed before), by group.

    Parameters
    ----------
    episodes : DataFrame
        One row per episode.
    start, exit : str
        First-intervention and exit date columns (a blank exit: still in treatment).
    reason : str, optional
        Exit reason column; values in ``completed`` count as successful completions.
    weeks : float
        Retention period in weeks (default 12).
    completed : sequence of str
        Exit reasons read as successful completions (case-insensitive).
    by : str or list of str, optional
        Group columns.
    census_date : date, optional
        Date of the extract (default: the latest date in it).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``group``, ``value``, ``eligible``, ``retained``, ``pct_retained``,
        ``ci_low``, ``ci_high``, ``exits``, ``completed``, ``pct_completed``;
        ``attrs['meta']``.
    """
    from mapping.stats.rates import wilson_ci

    st, ex = _dates(episodes, start, "start date"), _dates(episodes, exit, "exit date")
    census = _census(census_date, st, ex)
    days = weeks * 7
    if reason is not None and reason not in episodes.columns:
        raise AnalysisError(f"the episodes have no '{reason}' column", column=reason,
                            fix="name the exit reason column, or set reason to none")
    why = (episodes[reason].astype("string").str.strip().str.lower().fillna("")
           .reset_index(drop=True) if reason else pd.Series("", index=st.index))
    done = why.isin([c.lower() for c in completed]).to_numpy() & ex.notna().to_numpy()
    exited = (ex.notna() & (ex <= census)).to_numpy()
    stay = np.where(exited, (ex - st).dt.days, (census - st).dt.days)
    bad = (ex < st).to_numpy()
    eligible = (st.notna() & (st <= census - pd.Timedelta(days=days))).to_numpy() & ~bad
    retained = eligible & ((stay >= days) | done)
    rows = []
    for group, value, m in _groups(episodes, by):
        e, r = int((m & eligible).sum()), int((m & retained).sum())
        lo, hi = wilson_ci(r, e, level) if e else (np.nan, np.nan)
        x, c = int((m & exited & ~bad).sum()), int((m & exited & done & ~bad).sum())
        rows.append({"group": group, "value": value, "eligible": e, "retained": r,
                     "pct_retained": 100 * r / e if e else np.nan, "ci_low": 100 * float(lo),
                     "ci_high": 100 * float(hi), "exits": x, "completed": c,
                     "pct_completed": 100 * c / x if x else np.nan})
    out = pd.DataFrame(rows)
    out.attrs["meta"] = {
        "title": f"Retention: episodes lasting {weeks:g} weeks or completed",
        "units": "episodes; percent",
        "method": (f"retained = in treatment at least {weeks:g} weeks, or a successful "
                   f"completion before; episodes starting less than {weeks:g} weeks before the "
                   f"census date are not judged; {level:.0%} Wilson score intervals"),
        "params": {"start": start, "exit": exit, "reason": reason, "weeks": weeks, "by": by,
                   "census_date": str(census.date()), "level": level},
        "base_n": int(eligible.sum()), "period": _span(st),
        "references": ["Newcombe RG (1998) Stat Med 17:857-872",
                       "OHID: NDTMS treatment retention measures"],
        "count_columns": ["eligible", "retained", "exits", "completed"],
        "rate_columns": ["pct_retained", "ci_low", "ci_high", "pct_completed"],
        "notes": [f"{int(bad.sum())} episodes end before they start and are left out"]
        if bad.any() else [],
    }
    return out


def _span(dates) -> str:
    from mapping.core.periods import describe_span

    return describe_span(dates)
