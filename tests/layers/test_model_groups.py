"""Layer groups, in-place replacement and the one layer copy (the Qt-free model)."""

import pytest

from boundaries.workspace import Workspace
from layers.model import Layer, LayerStack
from layers.project import Project, open_project
from layers.style import RECORD_COLOURS, LayerStyle, next_record_colour


def _result(name, step):
    return Layer(name, kind="areas", source={"analysis": step, "kind": "count"})


def test_replace_keeps_the_position_and_emits_removed_then_inserted():
    stack = LayerStack([Layer("lsoa"), _result("rates", "rates"), Layer("arrests")])
    seen = []
    stack.removed.connect(lambda i, lyr: seen.append(("removed", i, lyr.name)))
    stack.inserted.connect(lambda i, lyr: seen.append(("inserted", i, lyr.name)))
    new = _result("rates", "rates")
    old = stack.replace("rates", new)
    assert stack.names() == ["lsoa", "rates", "arrests"]  # not moved to the top
    assert stack[1] is new and old is not new
    assert seen == [("removed", 1, "rates"), ("inserted", 1, "rates")]
    old.visible = False  # the replaced layer is no longer observed
    stack.put(_result("new", "other"))  # put: add on top when the name is new
    assert stack.names()[-1] == "new"


def test_replace_one_layer_by_its_name_keeps_the_position_or_adds_on_top():
    stack = LayerStack([Layer("lsoa"), _result("rates", "rates"), Layer("arrests")])
    new = _result("rates", "rates")
    old = stack.replace(new)
    assert stack.names() == ["lsoa", "rates", "arrests"] and stack[1] is new
    assert old is not None and old is not new
    assert stack.replace(_result("kde", "kde")) is None
    assert stack.names() == ["lsoa", "rates", "arrests", "kde"]


def test_results_of_one_analysis_form_a_group_that_hides_them():
    stack = LayerStack([Layer("lsoa"), _result("rates", "rates"), _result("rates_t", "rates")])
    assert list(stack.groups) == ["rates"]
    assert [lyr.name for lyr in stack.group_layers("rates")] == ["rates", "rates_t"]
    assert stack["lsoa"].group is None
    changes = []
    stack.group_changed.connect(lambda n, a: changes.append((n, a)))
    stack.set_group("rates", visible=False)
    assert [lyr.name for lyr in stack.visible()] == ["lsoa"]
    assert stack["rates"].visible  # the layer keeps its own tick
    stack.set_group("rates", visible=True, expanded=False)
    assert changes == [("rates", "visible"), ("rates", "visible"), ("rates", "expanded")]
    stack.remove("rates")
    assert "rates" in stack.groups
    stack.remove("rates_t")
    assert stack.groups == {} and changes[-1] == ("rates", "removed")
    # the state of a group that went comes back with its layers (a re-run)
    stack.append(_result("rates", "rates"))
    assert stack.groups["rates"].expanded is False


def test_a_replaced_only_layer_keeps_its_group_state():
    stack = LayerStack([_result("kde", "kde")])
    stack.set_group("kde", visible=False)
    stack.replace("kde", _result("kde", "kde"))
    assert stack.groups["kde"].visible is False and stack.visible() == []


def test_layer_copy_shares_data_and_copies_the_rest():
    data = object()
    a = Layer("a", data, kind="points", style=LayerStyle(color="#ff0000"),
              source={"analysis": "s"}, meta={"base_n": 3}, sensitive=True, group="g")
    a.disable("no geometry")
    b = a.copy()
    assert b.data is data and b.style == a.style and b.style is not a.style
    assert (b.meta, b.source, b.sensitive, b.group, b.disabled_reason) == \
        (a.meta, a.source, True, "g", "no geometry")
    b.meta["base_n"] = 4
    b.update_style(color="#000000")
    assert a.meta["base_n"] == 3 and a.style.color == "#ff0000"
    assert a.copy(name="c", visible=False).name == "c"
    with pytest.raises(TypeError, match="unknown field"):
        a.copy(colour="#fff")
    assert Layer("r", source={"analysis": "s"}, group="").group is None  # opted out
    c = a.copy(data=None, meta_updates={"suppressed": 2})
    assert c.meta == {"base_n": 3, "suppressed": 2} and a.meta == {"base_n": 3}


def test_group_state_round_trips_through_the_project_file(tmp_path):
    ws = Workspace(Project(name="p"))
    ws.layers.append(_result("rates", "rates"))
    ws.layers.set_group("rates", visible=False, expanded=False)
    path = ws.save(tmp_path / "p.toml")
    assert "groups" in path.read_text()
    again = Workspace(open_project(path))
    assert again.project.groups == [{"name": "rates", "visible": False, "expanded": False}]
    again.layers.append(_result("rates", "rates"))  # results arrive when analyses re-run
    g = again.layers.groups["rates"]
    assert (g.visible, g.expanded) == (False, False)


def test_a_groups_entry_without_a_name_is_a_clear_error(tmp_path):
    from layers.common.errors import ProjectError

    p = tmp_path / "p.toml"
    p.write_text('schema_version = 1\n[project]\nname = "x"\n[[groups]]\nvisible = false\n')
    with pytest.raises(ProjectError, match=r"\[\[groups\]\] entry needs a 'name'"):
        open_project(p)


def test_record_layers_get_distinct_default_colours():
    assert next_record_colour([]) == RECORD_COLOURS[0]
    picks = []
    for _ in range(4):
        picks.append(next_record_colour(picks))
    assert len(set(picks)) == 4
    # a colour close to one already used (two greens) is skipped
    assert next_record_colour(["#1a9850"]) != "#238b45"
