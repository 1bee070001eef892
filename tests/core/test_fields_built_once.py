"""core.serializers.FieldsBuiltOnce: fields made once per class, yet each serializer reads its own context."""

from typing import Any

from rest_framework import serializers

from core.serializers import FieldsBuiltOnce


class Greeting(FieldsBuiltOnce, serializers.Serializer[Any]):
    name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    greeting = serializers.SerializerMethodField()

    def get_greeting(self, obj: dict[str, Any]) -> str:
        return f"{self.context['salutation']} {obj['name']}"


class LongerGreeting(Greeting):
    title = serializers.CharField()


def test_each_serializer_answers_with_its_own_context() -> None:
    first = Greeting({"name": "王"}, context={"salutation": "您好"})
    second = Greeting({"name": "李"}, context={"salutation": "早上好"})
    assert first.data["greeting"] == "您好 王"
    assert second.data["greeting"] == "早上好 李"
    assert first.fields["greeting"] is not second.fields["greeting"]
    assert first.fields["greeting"].parent is first and second.fields["name"].parent is second


def test_validation_runs_on_the_shared_fields() -> None:
    Greeting(data={"name": "王"}).is_valid(raise_exception=True)
    bad = Greeting(data={"name": "", "tags": ["太长的标签"]})
    assert not bad.is_valid()
    assert set(bad.errors) == {"name", "tags"}


def test_a_subclass_builds_its_own_fields() -> None:
    assert "title" not in Greeting({"name": "王"}, context={"salutation": "您好"}).data
    data = LongerGreeting({"name": "王", "title": "经理"}, context={"salutation": "您好"}).data
    assert data["title"] == "经理" and data["greeting"] == "您好 王"
