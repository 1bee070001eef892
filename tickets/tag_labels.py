"""What a ticket tag reads as. Apps that tag tickets with their own codes (after-sales tags each request's
ticket "aftersales" and its type) register a label for each code in `AppConfig.ready`; a tag a person
typed has no label and shows as typed. The stored tag stays the code, so filters work in every language."""

from collections.abc import Mapping

from django_stubs_ext import StrOrPromise

_LABELS: dict[str, StrOrPromise] = {}


def register(labels: Mapping[str, StrOrPromise]) -> None:
    _LABELS.update(labels)


def label_for(tag: str) -> str:
    return str(_LABELS.get(tag, tag))
