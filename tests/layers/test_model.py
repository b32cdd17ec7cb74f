"""The Qt-free document model announces every change."""

import pytest

from layers.model import Layer, LayerStack
from layers.style import LayerStyle


def test_layer_changes_are_announced_through_the_stack():
    stack, seen = LayerStack(), []
    stack.layer_changed.connect(lambda layer, attr: seen.append((layer.name, attr)))
    a = Layer("a")
    stack.append(a)
    a.visible = False
    a.update_style(color="#000000", k=7)
    a.disable("no geometry")
    assert seen == [("a", "visible"), ("a", "style"), ("a", "disabled_reason")]
    assert not a.enabled and a.style.k == 7
    assert stack.visible() == []


def test_stack_order_names_and_removal():
    stack = LayerStack([Layer("a"), Layer("b"), Layer("c")])
    moved = []
    stack.moved.connect(lambda s, d: moved.append((s, d)))
    stack.move(0, 2)
    assert stack.names() == ["b", "c", "a"] and moved == [(0, 2)]
    stack.append(Layer("b"))
    assert stack.names()[-1] == "b (2)"
    removed = stack.remove("c")
    assert removed.name == "c" and "c" not in stack
    removed.visible = False  # a removed layer no longer reaches the stack


def test_unknown_style_field_and_kind_are_refused():
    with pytest.raises(AttributeError):
        Layer("a").update_style(colour="#fff")
    with pytest.raises(ValueError, match="unknown layer kind"):
        Layer("a", kind="raster")


def test_style_round_trips_through_a_dict():
    s = LayerStyle(column="rate", scheme="fisher_jenks", k=6, breaks=[1.0, 2.0])
    assert LayerStyle.from_dict(s.to_dict()) == s
    assert LayerStyle.from_dict({"nonsense": 1}) == LayerStyle()
