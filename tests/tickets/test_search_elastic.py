"""The Elasticsearch backend of ticket search without a server, as tests/knowledge/test_elastic.py does it:
the mapping, the prepared document, the query sent, the answer read back through PostgreSQL's access
rule, and indexing on commit (the client is replaced by stubs). Not tested: a real cluster."""

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from profiles.models import User
from tests.factories import TeamFactory
from tickets import elastic, search, selectors, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_mapping_is_whitespace_analysis_of_jieba_tokens() -> None:
    mapping = elastic.TicketDocument._doc_type.mapping.to_dict()["properties"]
    for name in ("head_tokens", "reply_tokens", "note_tokens"):
        assert mapping[name] == {"type": "text", "analyzer": "whitespace"}
    assert mapping["id"] == {"type": "long"}


def test_prepared_document_splits_public_and_internal_words(make_ticket: Callable[..., Ticket],
                                                           make_agent: Callable[..., User]) -> None:
    ticket = make_ticket(subject="退货运费谁出", body="我要申请退款")
    services.ticket_add_note(ticket=ticket, author=make_agent(), body="黄牛账号")
    document = elastic.TicketDocument().prepare(ticket)
    assert {"退货", "运费"} <= set(document["head_tokens"].split())
    assert ticket.number.lower() in document["head_tokens"].split()
    assert "退款" in document["reply_tokens"].split()
    assert document["note_tokens"].split() == ["黄牛", "账号"]


def test_query_requires_every_term_and_keeps_notes_to_the_desk() -> None:
    query = elastic.build_query(search.parse("退款 T20261122"), include_notes=False, before=50)
    must = query["query"]["bool"]["must"]
    assert [clause["bool"]["should"][0] for clause in must] == [
        {"term": {"head_tokens": "退款"}}, {"prefix": {"head_tokens": "t20261122"}}]
    assert all(len(clause["bool"]["should"]) == 2 for clause in must)
    assert query["query"]["bool"]["filter"] == [{"range": {"id": {"lt": 50}}}]
    assert query["sort"] == [{"id": "desc"}]
    desk = elastic.build_query(search.parse("退款"), include_notes=True, before=None)
    assert {"term": {"note_tokens": "退款"}} in desk["query"]["bool"]["must"][0]["bool"]["should"]


def test_search_uses_elasticsearch_when_configured_and_keeps_access_in_postgres(
    settings: Any, monkeypatch: Any, make_ticket: Callable[..., Ticket], make_agent: Callable[..., User]
) -> None:
    mine = make_ticket(subject="退款进度")
    theirs = make_ticket(subject="退款进度", team=TeamFactory.create())
    settings.ELASTICSEARCH_URL = "http://es.invalid:9200"
    sent: list[dict[str, Any]] = []

    class StubSearch:
        def update_from_dict(self, body: dict[str, Any]) -> "StubSearch":
            sent.append(body)
            return self

        def execute(self) -> list[Any]:
            # The cluster answers with both; the other team's ticket is dropped by PostgreSQL.
            return [SimpleNamespace(meta=SimpleNamespace(id=str(ticket.pk))) for ticket in (theirs, mine)]

    monkeypatch.setattr(elastic, "_connect", lambda: None)
    monkeypatch.setattr(elastic.TicketDocument, "search", classmethod(lambda cls: StubSearch()))
    page = selectors.search_page(make_agent(), search.parse("退款"))
    assert [hit.ticket.pk for hit in page.hits] == [mine.pk]
    assert sent[0]["query"]["bool"]["must"][0]["bool"]["should"][0] == {"term": {"head_tokens": "退款"}}


def test_a_new_ticket_is_sent_to_elasticsearch_on_commit(settings: Any, monkeypatch: Any,
                                                         make_ticket: Callable[..., Ticket],
                                                         django_capture_on_commit_callbacks: Any) -> None:
    from django_elasticsearch_dsl import documents

    settings.ELASTICSEARCH_URL = "http://es.invalid:9200"
    sent: list[dict[str, Any]] = []

    def fake_bulk(client: Any, actions: Any, **kwargs: Any) -> tuple[int, list[Any]]:
        sent.extend(actions)
        return len(sent), []

    monkeypatch.setattr(elastic, "_connect", lambda: None)
    monkeypatch.setattr(documents, "bulk", fake_bulk)
    monkeypatch.setattr(elastic.TicketDocument, "_get_connection", lambda self, using=None: None)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(subject="屏幕碎了", body="摔了一下")
    assert [(action["_index"], action["_id"]) for action in sent] == [("tickets", ticket.pk)]
    assert "屏幕" in sent[0]["_source"]["head_tokens"].split()
