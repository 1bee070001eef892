"""Migration operations of our own, where Django's cost more than the change they make."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState
from django.utils.choices import flatten_choices

LABELS = ("verbose_name", "help_text")


class RelabelField(migrations.AlterField):
    """AlterField for a change of labels only (verbose_name, help_text, the display names of choices): no SQL,
    and no re-rendering of related models.

    Django's AlterField reloads the model and, for a relation, every model related to it; for a field that points
    at the user model that is most of the project, per field. The verbose-name migrations alter ~200 fields, which
    made migrating an empty database (every newcomer's first `make run`, every test run) take about a minute more.
    A label changes nothing another model or the database sees, so the rendered field is relabelled in place.
    Anything beyond labels is refused, so this cannot hide a schema change.
    """

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        model_key = app_label, self.model_name_lower
        fields = state.models[model_key].fields
        old_field = fields[self.name]
        old_path, old_args, old_kwargs = old_field.deconstruct()[1:]
        new_path, new_args, new_kwargs = self.field.deconstruct()[1:]
        for kwargs in (old_kwargs, new_kwargs):
            for label in LABELS:
                kwargs.pop(label, None)
            if "choices" in kwargs:  # the stored values count; their display names are labels
                kwargs["choices"] = [value for value, _display in flatten_choices(kwargs["choices"])]  # type: ignore[var-annotated]
        if (old_path, old_args, old_kwargs) != (new_path, new_args, new_kwargs):
            raise ValueError(f"RelabelField {app_label}.{self.model_name}.{self.name} changes more than its labels")
        # as ProjectState.alter_field keeps the reverse-relation index in step (django-stubs lacks _relations)
        if getattr(state, "_relations", None) is not None and old_field.is_relation:
            fields.pop(self.name)
            state.resolve_model_field_relations(model_key, self.name, old_field)
            fields[self.name] = self.field
            state.resolve_model_field_relations(model_key, self.name, self.field)
        else:
            fields[self.name] = self.field
        if "apps" in state.__dict__:  # already rendered: relabel the live field instead of re-rendering
            rendered = state.apps.get_model(*model_key)._meta.get_field(self.name)
            for label in LABELS:
                setattr(rendered, label, getattr(self.field, label))
            if self.field.choices is not None:
                rendered.choices = self.field.choices

    def database_forwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState,
                          to_state: ProjectState) -> None:
        """Labels live in Python only."""

    def database_backwards(self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState,
                           to_state: ProjectState) -> None:
        """Labels live in Python only."""

    def describe(self) -> str:
        return f"Relabel field {self.name} on {self.model_name}"
