"""Test helper: widgets made with a parent but never laid out (they float over the page)."""

from __future__ import annotations


def _in_layout(layout, widget) -> bool:
    if layout is None:
        return False
    if layout.indexOf(widget) >= 0:
        return True
    for i in range(layout.count()):
        sub = layout.itemAt(i).layout()
        if sub is not None and _in_layout(sub, widget):
            return True
    return False


def stray_widgets(root) -> list:
    """Visible direct children of ``root`` that its layout does not manage.

    Such a widget sits at the top left of its parent, over whatever the
    layout puts there (the stray combo over a wizard page's title).
    """
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractScrollArea, QMainWindow, QWidget, QWizard

    if isinstance(root, (QAbstractScrollArea, QMainWindow, QWizard)):
        return []  # they place their own parts (viewport, headers, docks, pages)
    out = []
    for w in root.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if w.isWindow() or not w.isVisibleTo(root):
            continue
        if not _in_layout(root.layout(), w):
            out.append(f"{type(w).__name__} {w.objectName() or ''}".strip())
    return out


def _shown(root):
    """Widgets under ``root`` that are shown (``root`` itself left out)."""
    from PySide6.QtWidgets import QWidget

    return [w for w in root.findChildren(QWidget) if not w.isWindow() and w.isVisibleTo(root)]


def _internal(w) -> bool:
    """Parts Qt draws inside a compound widget (a combo's line edit, a view's scroll bars)."""
    from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox

    p = w.parentWidget()
    while p is not None:
        if isinstance(p, (QComboBox, QAbstractSpinBox)):
            return True
        if isinstance(p, QAbstractScrollArea) and not (
                p.viewport() is not None and p.viewport().isAncestorOf(w)
                and type(p).__name__ == "QScrollArea"):
            return True
        p = p.parentWidget()
    return False


def outside_parent(root, tol: int = 1) -> list[str]:
    """Shown widgets that stick out of their parent (clipped by it)."""
    from PySide6.QtWidgets import QAbstractScrollArea

    out = []
    for w in _shown(root):
        p = w.parentWidget()
        if p is None or _internal(w):
            continue
        if isinstance(p.parentWidget(), QAbstractScrollArea) and p is p.parentWidget().viewport():
            continue  # a scroll area's contents may be larger than its viewport
        r, g = p.rect().adjusted(-tol, -tol, tol, tol), w.geometry()
        if not r.contains(g):
            out.append(f"{_name(w)} at {g.x()},{g.y()} {g.width()}x{g.height()} outside "
                       f"{_name(p)} {p.width()}x{p.height()}")
    return out


def overlapping(root, tol: int = 1) -> list[str]:
    """Pairs of shown sibling widgets whose rectangles overlap."""
    from PySide6.QtWidgets import QStackedWidget, QWidget

    out = []
    parents = [root, *[w for w in _shown(root) if not _internal(w)]]
    for p in parents:
        if isinstance(p, QStackedWidget):
            continue
        from PySide6.QtCore import Qt

        direct = Qt.FindChildOption.FindDirectChildrenOnly
        kids = [w for w in p.findChildren(QWidget, options=direct)
                if not w.isWindow() and w.isVisibleTo(root) and not _internal(w)
                and w.width() > 0 and w.height() > 0]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                inter = a.geometry().adjusted(tol, tol, -tol, -tol).intersected(
                    b.geometry().adjusted(tol, tol, -tol, -tol))
                if not inter.isEmpty():
                    out.append(f"{_name(a)} overlaps {_name(b)} in {_name(p)}")
    return out


def elided(root) -> list[str]:
    """Labels, buttons, check boxes and combo boxes too narrow for their text."""
    from PySide6.QtWidgets import (QAbstractButton, QCheckBox, QComboBox, QLabel,
                                   QRadioButton, QStyle, QStyleOptionComboBox)

    out = []
    for w in _shown(root):
        if _internal(w):
            continue
        if isinstance(w, QLabel) and not w.wordWrap() and w.text() and w.pixmap().isNull():
            if w.minimumSizeHint().width() > w.width() + 1:
                out.append(f"label '{w.text()[:40]}' needs {w.minimumSizeHint().width()} px, "
                           f"has {w.width()}")
        elif isinstance(w, QAbstractButton) and w.text():
            text = w.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
            need = w.fontMetrics().horizontalAdvance(text) + (
                w.iconSize().width() + 4 if not w.icon().isNull() else 0) + (
                22 if isinstance(w, (QCheckBox, QRadioButton)) else 8)
            if need > w.width() + 1:
                out.append(f"{type(w).__name__} '{w.text()[:40]}' needs {need} px, has "
                           f"{w.width()}")
        elif isinstance(w, QComboBox) and w.currentText():
            opt = QStyleOptionComboBox()
            w.initStyleOption(opt)
            field = w.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt,
                                             QStyle.SubControl.SC_ComboBoxEditField, w)
            need = w.fontMetrics().horizontalAdvance(w.currentText())
            if need > field.width() + 1:
                out.append(f"combo '{w.currentText()[:40]}' needs {need} px, has "
                           f"{field.width()}")
    return out


def layout_problems(root) -> list[str]:
    """Every geometry problem of ``root``: stray, outside the parent, overlapping, elided."""
    return ([f"stray: {s}" for s in stray_widgets(root)] + outside_parent(root)
            + overlapping(root) + elided(root))


def _name(w) -> str:
    txt = ""
    for attr in ("text", "title", "currentText"):
        f = getattr(w, attr, None)
        if callable(f):
            try:
                txt = str(f())[:30]
            except TypeError:
                continue
            if txt:
                break
    return f"{type(w).__name__}{'#' + w.objectName() if w.objectName() else ''}" + \
        (f"('{txt}')" if txt else "")
