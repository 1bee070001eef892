"""RelabelField changes labels in the migration state and nothing else: no SQL, and anything more is refused."""

from typing import Any

import pytest
from django.apps import apps as installed_apps
from django.conf import settings
from django.db import connection, models
from django.db.migrations.state import ProjectState

from core.migration_operations import RelabelField


@pytest.fixture(scope="module")
def project_state() -> ProjectState:
    return ProjectState.from_apps(installed_apps)


def _relabel_agent(verbose_name: str, **changes: Any) -> RelabelField:
    field_options: dict[str, Any] = {"on_delete": models.CASCADE, "related_name": "ticket_regions",
                                     "to": settings.AUTH_USER_MODEL, "verbose_name": verbose_name, **changes}
    return RelabelField(model_name="agentregions", name="agent", field=models.OneToOneField(**field_options))


def test_a_relabel_changes_the_state_and_the_rendered_model(project_state: ProjectState) -> None:
    state = project_state.clone()
    rendered_before = state.apps.get_model("tickets", "AgentRegions")
    _relabel_agent("desk agent").state_forwards("tickets", state)
    assert state.models["tickets", "agentregions"].fields["agent"].verbose_name == "desk agent"
    assert state.apps.get_model("tickets", "AgentRegions") is rendered_before  # no re-render
    assert rendered_before._meta.get_field("agent").verbose_name == "desk agent"
    # the user model's reverse relations now hold the relabelled field
    assert state.relations["profiles", "user"]["tickets", "agentregions"]["agent"].verbose_name == "desk agent"


def test_a_relabel_writes_no_sql(project_state: ProjectState) -> None:
    before = project_state.clone()
    after = before.clone()
    operation = _relabel_agent("desk agent")
    operation.state_forwards("tickets", after)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        operation.database_forwards("tickets", editor, before, after)
        operation.database_backwards("tickets", editor, after, before)
    assert editor.collected_sql == []


@pytest.mark.parametrize("change", [{"related_name": "regions_of_agent"}, {"null": True}, {"db_index": False},
                                    {"on_delete": models.PROTECT}])
def test_anything_beyond_labels_is_refused(project_state: ProjectState, change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="changes more than its labels"):
        _relabel_agent("agent", **change).state_forwards("tickets", project_state.clone())


def test_a_help_text_is_a_label_too(project_state: ProjectState) -> None:
    state = project_state.clone()
    _relabel_agent("agent", help_text="who owns these regions").state_forwards("tickets", state)
    assert state.models["tickets", "agentregions"].fields["agent"].help_text == "who owns these regions"


def _relabel_anchor(choices: list[tuple[str, str]]) -> RelabelField:
    return RelabelField(model_name="automation", name="anchor",
                        field=models.CharField(choices=choices, max_length=16, verbose_name="hours since"))


def test_new_display_names_of_choices_are_labels(project_state: ProjectState) -> None:
    state = project_state.clone()
    renamed = [("created_at", "opened"), ("updated_at", "touched"), ("sla_paused_at", "paused"), ("solved_at", "done")]
    _relabel_anchor(renamed).state_forwards("tickets", state)
    assert state.apps.get_model("tickets", "Automation")._meta.get_field("anchor").choices == renamed


def test_a_new_stored_value_among_the_choices_is_refused(project_state: ProjectState) -> None:
    changed = [("created_at", "created"), ("updated_at", "last updated"), ("paused_at", "paused"), ("solved_at", "x")]
    with pytest.raises(ValueError, match="changes more than its labels"):
        _relabel_anchor(changed).state_forwards("tickets", project_state.clone())
