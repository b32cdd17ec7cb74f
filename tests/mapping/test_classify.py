"""Classification registry, class breaks an analyst would choose, and palettes (issues 6, 17)."""

import re

import numpy as np
import pytest

import mapclassify

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed")

from layers.common.errors import InputError
from mapping.render.class_breaks import CLASSIFIERS, JENKS_MAX_N, scheme_names
from mapping.render.classify import apply_scale, class_scale, classify, classify_categories
from mapping.render.palettes import GISTAR_COLORS, palette_colors

Y = np.array([1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144], dtype=float)


@pytest.mark.parametrize("scheme,ref", [
    ("quantiles", lambda y: mapclassify.Quantiles(y, k=4)),
    ("equal_interval", lambda y: mapclassify.EqualInterval(y, k=4)),
    ("fisher_jenks", lambda y: mapclassify.FisherJenks(y, k=4)),
    ("std_mean", lambda y: mapclassify.StdMean(y)),
])
def test_schemes_put_each_value_in_the_class_mapclassify_does(scheme, ref):
    """Whole-number data: the same classes as mapclassify, bounds shown as whole numbers."""
    c = classify(Y, scheme, k=4)
    r = ref(Y)
    # mapclassify's bounds of its non-empty classes, floored: for whole numbers "<= 2.75"
    # is "<= 2" (std_mean's classes below the minimum are empty and merged away)
    kept = r.bins[np.asarray(r.counts) > 0]
    np.testing.assert_allclose(c.bins, np.unique(np.minimum(np.floor(kept), Y.max())))
    assert sum(c.counts) == len(Y)
    # same partition of the values (class numbers may differ only where mapclassify has an
    # empty class, which hotmap merges)
    ours = [tuple(Y[c.yb == i]) for i in range(c.k)]
    theirs = [tuple(Y[r.yb == i]) for i in range(r.k) if (r.yb == i).any()]
    assert ours == theirs


def test_registry_keys_for_gui():
    assert set(CLASSIFIERS) == {"quantiles", "fisher_jenks", "equal_interval", "std_mean",
                                "manual"}
    assert scheme_names()[0] == "auto"
    assert {"gistar", "categorical"} <= set(scheme_names())


def _bounds(label):
    """(lo, hi) of a legend label: '4 – 7', '0', '−3.0 to −1.2', '1,234 – 2,000'."""
    nums = [float(t.replace(",", "").replace("−", "-"))
            for t in re.findall(r"−?[\d,]+(?:\.\d+)?", label)]
    return (nums[0], nums[0]) if len(nums) == 1 else (nums[0], nums[1])


def _check_legend(c, values):
    """The rules an audit reader relies on, checked on any classification."""
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    assert len(set(c.labels)) == len(c.labels), c.labels  # never repeated
    for lab in c.labels:
        lo, hi = _bounds(lab)
        assert lo <= hi, lab
        assert not re.fullmatch(r"(.+) – \1", lab), lab  # never "0 – 0"
    spans = [_bounds(lab) for lab in c.labels]
    for (lo1, hi1), (lo2, hi2) in zip(spans, spans[1:]):
        assert lo2 > hi1, c.labels  # never overlapping
    d = c.scale.decimals
    for x, k in zip(v[ok], c.yb[ok]):  # every value inside its own class, as displayed
        lo, hi = spans[k]
        assert lo - 1e-9 <= round(x, d) <= hi + 1e-9 or (k == 0 and x == 0), (x, c.labels[k])
    assert sum(c.counts) == ok.sum() and c.n_missing == (~ok).sum()


def test_zero_is_its_own_class_when_many_areas_are_zero():
    # Bristol drugs rates after suppression: 147 LSOAs with none, 11 with a rate
    nz = np.array([9.5, 12.1, 17.3, 19.6, 22.9, 25.0, 31.4, 40.2, 44.7, 52.0, 58.8])
    v = np.r_[np.zeros(147), nz, np.full(105, np.nan)]
    c = classify(v, "fisher_jenks", k=5)
    assert c.labels[0] == "0" and c.counts[0] == 147 and c.n_missing == 105
    # the other four classes are Fisher-Jenks on the non-zero rates (independent reference)
    ref = mapclassify.FisherJenks(nz, k=4)
    np.testing.assert_allclose(c.bins[1:], np.round(ref.bins, 1))
    assert c.counts[1:] == ref.counts.tolist()
    # hand-worked labels: one decimal (rates below 100), each class one step above the last
    assert c.labels[1] == "9.5 – " + f"{ref.bins[0]:.1f}"
    assert c.labels[2].startswith(f"{ref.bins[0] + 0.1:.1f} – ")
    _check_legend(c, v)


def test_old_two_class_collapse_is_gone():
    """The issue's case: quantiles on mostly-zero rates gave "0 – 0" and "0 – 59"."""
    v = np.r_[np.zeros(147), np.linspace(9.5, 58.8, 11)]
    c = classify(v, "quantiles", k=5)
    assert c.k == 5 and "0 – 0" not in c.labels and c.labels[0] == "0"
    _check_legend(c, v)


def test_few_zeros_stay_in_the_first_class_and_zero_class_can_be_forced_or_refused():
    v = np.r_[0.0, np.arange(1, 30, dtype=float)]  # 1 zero in 30 (3%)
    assert classify(v, "quantiles", 4).labels[0].startswith("0 – ")
    assert classify(v, "quantiles", 4, zero_class=True).labels[0] == "0"
    many = np.r_[np.zeros(20), np.arange(1, 30, dtype=float)]
    assert classify(many, "quantiles", 4).scale.zero
    refused = classify(many, "quantiles", 4, zero_class=False)
    assert not refused.scale.zero and refused.k == 4  # breaks on all values, zeros included
    neg = np.r_[np.zeros(20), -1.0, 2.0, 3.0]  # negative values: zero is not special
    assert classify(neg, "quantiles", 3).labels[0] != "0"


def test_counts_get_whole_number_bounds_and_rates_sensible_decimals():
    counts = np.array([0] * 30 + [1, 1, 2, 3, 4, 6, 9, 15, 20], float)
    c = classify(counts, "quantiles", 5)
    assert all(re.fullmatch(r"[\d,]+( – [\d,]+)?", lab) for lab in c.labels), c.labels
    rates = np.array([3.27, 8.91, 12.345, 17.8, 44.44, 58.84])
    assert all(re.fullmatch(r"\d+\.\d( – \d+\.\d)?", lab)
               for lab in classify(rates, "fisher_jenks", 3).labels)
    big = np.array([120.4, 250.5, 380.2, 999.9, 1500.7])
    assert all("." not in lab for lab in classify(big, "equal_interval", 3).labels)
    small = np.array([0.012, 0.034, 0.051, 0.08])
    labs = classify(small, "equal_interval", 2).labels
    assert labs == ["0.0120 – 0.0460", "0.0461 – 0.0800"], labs


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval", "std_mean"])
def test_labels_never_overlap_collapse_or_repeat(seed, scheme):
    """Property check over awkward data: ties, zeros, stacked values, tiny n, NaN, negatives."""
    rng = np.random.default_rng(seed)
    kind = seed % 5
    n = int(rng.integers(1, 120))
    if kind == 0:
        v = rng.poisson(0.6, n).astype(float)  # counts, many zeros
    elif kind == 1:
        v = np.round(rng.lognormal(1.0, 1.2, n), 3)  # skewed rates
    elif kind == 2:
        v = rng.choice([0.0, 4.2, 4.2, 4.2, 9.9], n)  # stacked ties
    elif kind == 3:
        v = rng.normal(0, 3, n)  # change: negatives
    else:
        v = np.r_[rng.lognormal(0, 1, n) * 1e-3, np.nan]  # tiny values and a missing one
    c = classify(v, scheme, k=int(rng.integers(2, 8)))
    _check_legend(c, v)
    if scheme != "std_mean":
        assert all(n > 0 for n in c.counts), (c.labels, c.counts)  # no empty class


def test_manual_breaks_honoured_with_empty_classes_kept():
    c = classify([0, 1, 5, 6, 10, 11], "manual", breaks=[5, 10], palette="Blues")
    # hand-worked: <=5 -> 0,1,5 ; <=10 -> 6,10 ; above the last break -> 11
    assert c.counts == [3, 2, 1]
    assert c.labels == ["0 – 5", "6 – 10", "11"]
    assert len(c.colors) == 3
    c = classify([1.5, 2.0, 30.0], "manual", breaks=[2, 10, 20, 40])
    assert c.counts == [2, 0, 0, 1]  # a user's classes stay, even empty
    assert c.labels == ["1.5 – 2.0", "2.1 – 10.0", "10.1 – 20.0", "20.1 – 40.0"]
    c = classify([3.0, 7.0], "manual", breaks=["5", 10])  # numbers as text from a form
    assert c.counts == [1, 1]


def test_manual_without_breaks_or_with_bad_breaks_is_an_input_error():
    with pytest.raises(InputError, match="manual classification needs breaks"):
        classify([1, 2, 3], "manual")
    with pytest.raises(InputError, match="must be numbers"):
        classify([1, 2, 3], "manual", breaks=["a", 2])


def test_unknown_scheme_names_the_known_ones():
    with pytest.raises(InputError, match="quantiles"):
        classify([1, 2, 3], "jenks_typo")


def test_missing_values_are_class_minus_one():
    c = classify([1.0, np.nan, 3.0, 4.0], "quantiles", k=2)
    assert c.yb[1] == -1 and c.n_missing == 1 and sum(c.counts) == 3
    rgba = c.rgba(missing=(0, 0, 0, 0))
    assert rgba[1, 3] == 0 and rgba[0, 3] == 1


def test_fewer_unique_values_than_k():
    c = classify([2, 2, 2, 5], "quantiles", k=5)
    assert c.k <= 2 and sum(c.counts) == 4
    assert classify([7, 7, 7], "fisher_jenks", 5).labels == ["7"]
    # one zero among rates (too few for a zero class) that natural breaks isolate: "0"
    assert classify([0, 2.5, 3.3, 7.7, 12.1, 19.9], "fisher_jenks", 4).labels[0] == "0"
    assert classify([0, 0, 0], "auto", 5).labels == ["0"]


def test_shared_scale_gives_every_map_the_same_edges():
    rng = np.random.default_rng(3)
    y2023 = np.r_[np.zeros(40), rng.lognormal(2, 0.8, 60)]
    y2024 = np.r_[np.zeros(25), rng.lognormal(2.4, 0.8, 75)]
    scale = class_scale(np.r_[y2023, y2024], "quantiles", 5).with_fixed()
    a, b = apply_scale(y2023, scale), apply_scale(y2024, scale)
    assert a.labels == b.labels and a.colors == b.colors
    np.testing.assert_array_equal(a.bins, b.bins)
    # each value is where the pooled scale puts it: hand check against the pooled quantiles
    pooled = np.r_[y2023, y2024]
    q = mapclassify.Quantiles(pooled[pooled > 0], k=4).bins
    d = scale.decimals
    np.testing.assert_allclose(scale.bins, np.r_[np.round(q[:-1], d), np.round(q[-1], d)])
    assert np.sum(a.counts) + np.sum(b.counts) == len(pooled)
    assert a.counts[0] == 40 and b.counts[0] == 25
    # on its own scale 2024 would differ: the shared one is not a copy of either
    assert classify(y2024, "quantiles", 5).labels != b.labels


def test_fisher_jenks_on_many_values_is_deterministic_and_close_to_exact():
    rng = np.random.default_rng(7)
    y = rng.lognormal(1.0, 0.9, 1500)
    state = np.random.get_state()[1].copy()
    s1 = class_scale(y, "fisher_jenks", 5)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global RNG untouched
    from mapping.render import classify as mod

    mod._CACHE.clear()
    assert class_scale(y, "fisher_jenks", 5) == s1  # same edges on a fresh computation
    assert len(y) > JENKS_MAX_N
    exact = mapclassify.FisherJenks(y, k=5)

    def gvf(bins):  # goodness of variance fit, 1 - SDCM / SDAM (Jenks 1967)
        yb = np.searchsorted(bins, y, side="left").clip(max=len(bins) - 1)
        sdcm = sum(((y[yb == i] - y[yb == i].mean()) ** 2).sum() for i in np.unique(yb))
        return 1 - sdcm / ((y - y.mean()) ** 2).sum()

    # within half a percentage point of the exact optimum
    assert gvf(np.asarray(s1.bins)) >= gvf(exact.bins) - 0.005
    np.testing.assert_allclose(s1.bins[:-1], exact.bins[:-1], rtol=0.08)


def test_surface_style_start_at_zero():
    c = classify([0.5, 2.0, 9.0, 40.0], "equal_interval", 2, start=0.0, zero_class=False)
    assert c.labels[0].startswith("0.0 – ")


def test_gistar_bins_map_to_cold_grey_hot():
    c = classify([-3, -2, -1, 0, 1, 2, 3, 0], "gistar")
    assert c.counts == [1, 1, 1, 2, 1, 1, 1]
    assert c.colors[3] == "#d9d9d9"  # not significant = neutral grey
    assert c.labels[3] == "Not significant"
    assert c.colors[0] == GISTAR_COLORS[0] and c.labels[6].startswith("Hot spot, 99%")


def test_categories_most_frequent_first_and_custom_colours():
    c = classify_categories(["b", "a", "b", None, "c", "b"], {"c": "#000000"})
    assert c.labels[0] == "c" and c.colors[0] == "#000000"
    assert c.counts[c.labels.index("b")] == 3 and c.n_missing == 1


def test_palettes():
    assert palette_colors("YlOrRd", 5) != palette_colors("YlOrRd_r", 5)
    assert palette_colors("YlOrRd_r", 5) == palette_colors("YlOrRd", 5)[::-1]
    assert len(palette_colors("RdBu", 7)) == 7
    with pytest.raises(ValueError, match="unknown palette"):
        palette_colors("Jet", 5)


def _jenks_cases():
    rng = np.random.default_rng(7)
    for t in range(48):
        n = int(rng.integers(8, 160))
        kind = t % 4
        if kind == 0:  # skewed rates
            y = rng.gamma(1.0, 3.0, n)
        elif kind == 1:  # small counts: many ties
            y = rng.poisson(2.0, n).astype(float)
        elif kind == 2:  # half zeros
            y = np.r_[np.zeros(n // 2), rng.integers(1, 9, n - n // 2)].astype(float)
        else:  # rounded to one decimal
            y = np.round(rng.normal(50, 10, n), 1)
        yield y, int(min(rng.integers(2, 7), len(np.unique(y))))


@pytest.mark.parametrize("case", range(48))
def test_fisher_jenks_bins_equal_mapclassify(case):
    """The numpy Fisher-Jenks (mapclassify's runs in pure Python without numba) gives
    mapclassify's own bins, ties and zeros included."""
    import warnings

    import mapclassify

    from mapping.render.class_breaks import fisher_jenks_bins

    y, k = list(_jenks_cases())[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed"
        ref = mapclassify.FisherJenks(y, k=k).bins
    np.testing.assert_allclose(fisher_jenks_bins(y, k), ref, rtol=0, atol=1e-9)
