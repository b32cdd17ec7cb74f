"""Classification registry and palettes (issue 6)."""

import numpy as np
import pytest

import mapclassify

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed")

from layers.errors import InputError
from mapping.classify import CLASSIFIERS, classify, classify_categories, scheme_names
from mapping.palettes import GISTAR_COLORS, palette_colors

Y = np.array([1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144], dtype=float)


@pytest.mark.parametrize("scheme,ref", [
    ("quantiles", lambda y: mapclassify.Quantiles(y, k=4)),
    ("equal_interval", lambda y: mapclassify.EqualInterval(y, k=4)),
    ("fisher_jenks", lambda y: mapclassify.FisherJenks(y, k=4)),
    ("std_mean", lambda y: mapclassify.StdMean(y)),
])
def test_schemes_match_mapclassify(scheme, ref):
    c = classify(Y, scheme, k=4)
    r = ref(Y)
    np.testing.assert_allclose(c.bins, np.unique(r.bins))
    assert sum(c.counts) == len(Y)
    np.testing.assert_array_equal(c.yb, np.searchsorted(c.bins, Y, side="left").clip(
        max=len(c.bins) - 1))


def test_registry_keys_for_gui():
    assert set(CLASSIFIERS) == {"quantiles", "fisher_jenks", "equal_interval", "std_mean",
                                "manual"}
    assert {"gistar", "categorical"} <= set(scheme_names())


def test_manual_breaks_and_counts_and_labels():
    c = classify([0, 1, 5, 6, 10, 11], "manual", breaks=[5, 10], palette="Blues")
    # hand-worked: <=5 -> 0,1,5 ; <=10 -> 6,10 ; last class extended to the max -> 11
    assert c.counts == [3, 2, 1]
    assert c.labels == ["0 – 5", "5 – 10", "10 – 11"]
    assert len(c.colors) == 3


def test_manual_without_breaks_is_an_input_error():
    with pytest.raises(InputError, match="manual classification needs breaks"):
        classify([1, 2, 3], "manual")


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
