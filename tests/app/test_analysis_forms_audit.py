"""The audit-question analyses have plain-words forms, not generic ones."""

import pytest

from app.analysis_forms import form_for

GENERIC = "A value as the project file writes it"


@pytest.mark.parametrize("kind", ["trend", "crackhouses", "needles", "venues", "funnel",
                                  "breakdown"])
def test_audit_forms_are_explained_in_plain_words(kind):
    form = form_for(kind)
    assert form.title.lower() != kind and len(form.description) > 60
    shown = [p for p in form.params if not p.advanced]
    assert shown, "a dialog with no visible fields"
    for p in shown:
        assert p.help and not p.help.startswith(GENERIC), f"{kind}.{p.name} has no plain help"
