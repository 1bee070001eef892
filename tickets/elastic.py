"""The Elasticsearch backend of ticket search, used when ELASTICSEARCH_URL is set.

As for the knowledge base: text is segmented by the same jieba function and indexed with the
whitespace analyzer, so both backends see the same tokens and the cluster needs no Chinese plugin.
Tickets are sent explicitly on commit by `tickets.services.search_index` (django_elasticsearch_dsl's
signal-driven autosync is not installed). Elasticsearch only answers which ticket ids match; access,
queue filters and paging stay in PostgreSQL, which remains the authority on who sees what.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django_elasticsearch_dsl import Document, fields
from django_elasticsearch_dsl.registries import registry
from elasticsearch.dsl import connections

from core.segmentation import index_text
from tickets.models import Ticket, TicketMessage
from tickets.search_query import TicketQuery, head_text, is_prefix_term

INDEX = "tickets"
# Newest matches Elasticsearch returns per search; PostgreSQL then applies access and filters to them.
MAX_HITS = 1000


@registry.register_document
class TicketDocument(Document):
    head_tokens = fields.TextField(analyzer="whitespace")
    reply_tokens = fields.TextField(analyzer="whitespace")
    note_tokens = fields.TextField(analyzer="whitespace")

    class Index:
        name = INDEX
        settings = {"number_of_shards": 1, "number_of_replicas": 0}

    class Django:
        model = Ticket
        fields = ["id"]

    def prepare(self, instance: Ticket) -> dict[str, Any]:
        # django-elasticsearch-dsl 9.0 caches its preparers in an attribute that elasticsearch.dsl's
        # Document stores as document data instead, so the cache is always empty; build it here.
        return {name: prepare(instance) for name, _field, prepare in self.init_prepare()}

    def prepare_head_tokens(self, instance: Ticket) -> str:
        return head_text(number=instance.number, subject=instance.subject, customer_name=str(instance.customer),
                         order_number=instance.order_number, tags=instance.tags)

    def prepare_reply_tokens(self, instance: Ticket) -> str:
        return _message_tokens(instance, TicketMessage.Kind.REPLY)

    def prepare_note_tokens(self, instance: Ticket) -> str:
        return _message_tokens(instance, TicketMessage.Kind.NOTE)


def _message_tokens(ticket: Ticket, kind: str) -> str:
    return " ".join(index_text(body) for body in ticket.messages.filter(kind=kind).order_by("id")
                    .values_list("body", flat=True))


def _connect() -> None:
    connections.create_connection(alias="default", hosts=[settings.ELASTICSEARCH_URL])


def build_query(query: TicketQuery, *, include_notes: bool, before: int | None) -> dict[str, Any]:
    """Every term in some field (a number-like term as a prefix), newest first, ids below `before`."""
    fields_searched = ["head_tokens", "reply_tokens", *(["note_tokens"] if include_notes else [])]
    must = []
    for term in query.terms:
        kind = "prefix" if is_prefix_term(term) else "term"
        must.append({"bool": {"should": [{kind: {field: term}} for field in fields_searched],
                              "minimum_should_match": 1}})
    filters = [{"range": {"id": {"lt": before}}}] if before is not None else []
    return {"size": MAX_HITS, "_source": False, "sort": [{"id": "desc"}],
            "query": {"bool": {"must": must, "filter": filters}}}


def search_ids(query: TicketQuery, *, include_notes: bool, before: int | None) -> list[int]:
    _connect()
    body = build_query(query, include_notes=include_notes, before=before)
    response = TicketDocument.search().update_from_dict(body).execute()
    return [int(hit.meta.id) for hit in response]


def index_tickets(ids: Iterable[int]) -> None:
    _connect()
    TicketDocument().update(Ticket.objects.filter(pk__in=list(ids)).select_related("customer"))
