"""The input fields of an analysis dialog (:mod:`app.analysis_dialogs`), one per parameter.

:func:`make_field` builds the widget for a parameter of a form spec
(:mod:`app.analysis_forms`) by its kind: a layer combo box, a tickable list of
layers or fields, a weighted list of layers, a field, a choice, a check box or a
line edit.  :func:`fill_columns` fills a field list from the layer chosen in
another field; :func:`field_value` reads a widget back as the value the
analysis step takes.  The text helpers show a default as the user types it.
"""

from __future__ import annotations

import json
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QListWidget, QListWidgetItem

from app.analysis_forms import parse_literal
from app.analysis_run import default_layer, unique_name
from app.form_widgets import WeightedLayersWidget

__all__ = ["NONE_ITEM", "make_field", "fill_columns", "fill_field_list", "field_value",
           "same_field", "blank_means", "to_text", "inline_toml", "number"]

# the combo-box item meaning "not given"
NONE_ITEM = "(none)"


# ----------------------------------------------------------------- making fields
def make_field(p, ws, kind: str, parent):
    """The input widget for parameter ``p`` of an analysis ``kind`` on workspace ``ws``.

    Parameters
    ----------
    p : form parameter
        One parameter of the form spec (``kind``, ``default``, ``optional`` ...).
    ws : layers.workspace.Workspace
        The document whose layers the layer fields offer.
    kind : str
        The analysis kind (names a new result: ``kde``, ``kde_2`` ...).
    parent : QWidget
        The dialog.

    Returns
    -------
    QWidget
        A :class:`QComboBox`, :class:`QListWidget`, :class:`WeightedLayersWidget`,
        :class:`QCheckBox` or :class:`QLineEdit`.
    """
    maker = _MAKERS.get(p.kind, _text_field)
    return maker(p, ws, kind, parent)


def _layer_field(p, ws, kind, parent):
    w = QComboBox(parent)
    if p.optional:
        w.addItem(NONE_ITEM, None)
    for lyr in ws.layers:
        if not p.layer_kinds or lyr.kind in p.layer_kinds:
            w.addItem(lyr.name, lyr.name)
    pick = p.default if isinstance(p.default, str) else None
    if pick is None and (not p.optional or p.name in ("areas",)):
        lyr = default_layer(ws, p)
        pick = lyr.name if lyr is not None else None
    if pick is not None and w.findData(pick) >= 0:
        w.setCurrentIndex(w.findData(pick))
    return w


def _layers_field(p, ws, kind, parent):
    w = QListWidget(parent)
    w.setMaximumHeight(110)
    for lyr in ws.layers:
        if not p.layer_kinds or lyr.kind in p.layer_kinds:
            it = QListWidgetItem(lyr.name, w)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = p.default if isinstance(p.default, list) else []
            # a required list starts with the imported records (not services or
            # results of other analyses)
            usual = lyr.source.get("records") and \
                (lyr.meta or {}).get("record_kind") != "services"
            it.setCheckState(Qt.CheckState.Checked if lyr.name in chosen or
                             (not p.optional and not chosen and usual)
                             else Qt.CheckState.Unchecked)
    return w


def _columns_field(p, ws, kind, parent):
    """Filled with the fields of its layer by :func:`fill_columns`."""
    w = QListWidget(parent)
    w.setMaximumHeight(110)
    w.tick_order = []  # fields in the order they were ticked (= order of the tables)

    def ticked(it, w=w):
        name = it.text()
        if name in w.tick_order:
            w.tick_order.remove(name)
        if it.checkState() == Qt.CheckState.Checked:
            w.tick_order.append(name)

    w.itemChanged.connect(ticked)
    return w


def _weighted_layers_field(p, ws, kind, parent):
    names = [lyr.name for lyr in ws.layers
             if not p.layer_kinds or lyr.kind in p.layer_kinds]
    chosen = p.default if isinstance(p.default, (list, dict)) and p.default else [
        lyr.name for lyr in ws.layers if lyr.name in names
        and lyr.source.get("records")
        and (lyr.meta or {}).get("record_kind") != "services"]
    return WeightedLayersWidget(names, chosen if not p.optional or p.default else None,
                                parent)


def _column_field(p, ws, kind, parent):
    w = QComboBox(parent)
    w.setEditable(True)
    return w


def _choice_field(p, ws, kind, parent):
    w = QComboBox(parent)
    w.setEditable(p.name == "weights")
    if p.optional and p.default is None:  # a choice with a default is never blank
        w.addItem(NONE_ITEM, None)
    for c in p.choices:
        w.addItem(str(c), c)
    if p.default is not None:
        i = w.findData(p.default)
        if i < 0:
            w.addItem(str(p.default), p.default)
            i = w.count() - 1
        w.setCurrentIndex(i)
    return w


def _bool_field(p, ws, kind, parent):
    w = QCheckBox(p.label, parent)
    w.setChecked(bool(p.default))
    return w


def _text_field(p, ws, kind, parent):
    w = QLineEdit(parent)
    if p.default is not None:
        w.setText(to_text(p.default))
    elif p.optional:
        w.setPlaceholderText(blank_means(p))
    if p.name == "name":
        w.setText(unique_name(ws, kind))
    if p.unit and p.kind not in ("number", "int"):  # numbers show their unit beside
        w.setPlaceholderText((w.placeholderText() + f"  (in{p.unit})").strip())
    return w


_MAKERS = {"layer": _layer_field, "layers": _layers_field, "columns": _columns_field,
           "weighted_layers": _weighted_layers_field, "column": _column_field,
           "choice": _choice_field, "bool": _bool_field}


# ----------------------------------------------------------------- field lists
def fill_columns(w, p, ws, widgets) -> None:
    """Fill the field widget ``w`` of parameter ``p`` with the fields of its layer.

    The layer is the first chosen of the fields named in ``p.of`` (``"lsoas|areas"``)
    among ``widgets``; the choice (or the default) carries over when it can.
    """
    lname = None  # of "lsoas|areas": the first of those layers chosen
    for of in p.of.split("|"):
        src = widgets.get(of)
        lname = src.currentData() if isinstance(src, QComboBox) else None
        if lname:
            break
    cols = []
    if lname and lname in ws.layers:
        data = ws.layers[lname].data
        if hasattr(data, "columns"):
            geom = getattr(data, "_geometry_column_name", None)
            cols = [str(c) for c in data.columns if c != geom]
    if p.kind == "columns":
        fill_field_list(w, p, cols)
        return
    keep = w.currentData() if w.currentData() is not None else w.currentText()
    w.blockSignals(True)
    w.clear()
    if p.optional:
        w.addItem(NONE_ITEM, None)
    for lyr in ws.layers if p.also_layers else []:
        if lyr.kind in p.also_layers and lyr.source.get("records"):
            w.addItem(f"{lyr.name} (records counted per area)", lyr.name)
    for c in cols:
        w.addItem(c, c)
    want = _wanted_field(w, p, cols, keep)
    if want is not None:
        i = w.findData(want)
        if i >= 0:
            w.setCurrentIndex(i)
        else:
            w.setEditText(str(want))
    w.blockSignals(False)


def _wanted_field(w, p, cols, keep):
    """The field to show chosen in ``w``: the one kept, else the default or a usual name."""
    want = keep if keep and keep != NONE_ITEM else p.default
    if want is not None and cols and w.findData(want) < 0:
        # a default the layer has no field of (population, where the table's is 'pop'):
        # the field that means the same, else blank (never a name the layer lacks)
        want = same_field(str(want), cols) or (None if p.optional else want)
    if want is None and p.name in ("population", "demand"):
        want = next((c for c in ("population", "pop", "Population", "POP") if c in cols), None)
    if want is None and p.name == "deprivation":
        want = next((c for c in ("imd_score", "imd_decile") if c in cols), None)
    return want


def fill_field_list(w, p, cols) -> None:
    """Tickable fields of the chosen layer; the ticks (or the default) carry over."""
    ticked = list(w.tick_order)
    if not w.count() and isinstance(p.default, (list, tuple)):
        ticked = [str(x) for x in p.default]
    # a default the layer has no column of is a name the analysis resolves itself
    # (breakdown's "age": age_band or age): offered while the layer has such a field
    # (never ticked for records that have no age at all: the run would fail)
    extra = [str(x) for x in (p.default or ()) if str(x) not in cols
             and same_field(str(x), cols)] if isinstance(p.default, (list, tuple)) else []
    ticked = [t for t in ticked if t in cols or t in extra or not cols]
    cols = [*extra, *cols]
    w.blockSignals(True)
    w.clear()
    for c in cols:
        it = QListWidgetItem(c, w)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Checked if c in ticked else Qt.CheckState.Unchecked)
    w.blockSignals(False)
    w.tick_order = [c for c in ticked if c in cols]


# ----------------------------------------------------------------- values
def field_value(p, w):
    """The value of parameter ``p`` as typed in its widget ``w`` (None = blank)."""
    if p.kind == "columns":  # in the order ticked
        return list(w.tick_order) or None
    if p.kind == "layers":
        return [w.item(i).text() for i in range(w.count())
                if w.item(i).checkState() == Qt.CheckState.Checked]
    if p.kind == "weighted_layers":
        return w.value()
    if p.kind == "bool":
        return w.isChecked()
    if isinstance(w, QComboBox):
        text = w.currentText().strip()
        v = None if text in ("", NONE_ITEM) else text
        data = w.currentData()
        if data is not None and w.itemText(w.currentIndex()) == text:
            v = data
        return v
    text = w.text().strip()
    if p.kind in ("number", "int"):
        return number(text, p.kind)
    if p.kind == "literal":
        return parse_literal(text)
    return text or None


def same_field(want: str, cols) -> str | None:
    """The field of ``cols`` that is ``want`` by another spelling: the same name in another
    case, a banded form (``age`` -> ``age_band``) or a short form (``population`` -> ``pop``)."""
    low = want.lower()
    for c in cols:
        if str(c).lower() == low:
            return str(c)
    for c in cols:
        cl = str(c).lower()
        if cl.startswith(low + "_") or (len(cl) >= 3 and low.startswith(cl)):
            return str(c)
    return None


def blank_means(p) -> str:
    """What a blank field means, from the help's "Blank: ..." sentence when it has one."""
    m = re.search(r"Blank(?: uses| means|:)\s*([^.;]+)", p.help or "")
    if m:
        return "blank = " + m.group(1).strip().rstrip(",")
    return "automatic" if p.kind in ("number", "int") else "blank = none"


def to_text(v) -> str:
    """A value as the user types it: plain numbers and words, TOML for lists and tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))  # 21, not 21.0
    if isinstance(v, (int, float, str)):
        return str(v)
    return inline_toml(v)


def inline_toml(v) -> str:
    """A value as an inline TOML value (a list or a table on one line)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {inline_toml(x)}"
                               for k, x in v.items()) + "}"
    return "[" + ", ".join(inline_toml(x) for x in v) + "]"


def number(text: str, kind: str):
    """A typed number (``int`` for a whole ``int`` field); the text itself if not a number."""
    if not text:
        return None
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return text  # reported by validate()
    return int(v) if kind == "int" and v.is_integer() else v
