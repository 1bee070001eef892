"""Ticket search at BENCH_SCALE tickets (default 100,000) with two messages each: the backfill through
`reindex_tickets`, then p50/p95/p99 and query counts for a common word, a rare word, a ticket number
(exact and prefix), a phone number through the blind index, as an agent (one team of ten) and as a
supervisor (every ticket), the API's `?q=`, appending a message, and the index's size."""

import os
import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from profiles.models import User
from profiles.roles import Role
from tests.bench.test_tickets_bench import _bulk_load, _setup
from tests.bench.timing import percentiles, timed
from tests.factories import UserFactory
from tickets import search, selectors
from tickets.models import Ticket, TicketMessage
from tickets.services import search_index

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
RUNS = 40
# One ticket in this many mentions the rare word.
RARE_EVERY = 10_000
RARE_WORD = "榴莲"
PHONE = "13812345678"
# What customers and agents write, cut into sentences that are combined per ticket.
SENTENCES = [
    "我的快递三天没有更新物流了", "申请退款了什么时候到账", "收到的商品有破损，要求换货",  # noqa: RUF001
    "发票抬头开错了，麻烦重新开", "优惠券为什么不能用", "手机屏幕碎了可以保修吗", "退货运费谁出",  # noqa: RUF001
    "客服你好，我想改一下收货地址", "订单显示已签收但我没收到", "耳机左边没有声音", "会员积分怎么没到账",  # noqa: RUF001
    "您好，已为您催促仓库尽快发货", "退款已原路退回，请注意查收", "请提供一下订单号和照片",  # noqa: RUF001
    "已经帮您登记换货，快递员会上门取件", "抱歉给您带来不便，我们会补偿一张优惠券",  # noqa: RUF001
]


def _load_messages(customers: list[User], agents: list[User]) -> float:
    """Two messages per ticket (the customer's, the desk's reply; every fifth reply an internal note)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticketmessage (ticket_id, kind, author_id, from_customer, body, created_at)
            SELECT t.id, 'reply', t.customer_id, true,
                   (%(sentences)s::text[])[1 + t.id %% cardinality(%(sentences)s::text[])] || ' ' ||
                   (%(sentences)s::text[])[1 + (t.id / 7) %% cardinality(%(sentences)s::text[])] ||
                   CASE WHEN t.id %% %(rare)s = 0 THEN ' 还有' || %(word)s ELSE '' END,
                   t.created_at
            FROM tickets_ticket t
            UNION ALL
            SELECT t.id, CASE WHEN t.id %% 5 = 0 THEN 'note' ELSE 'reply' END,
                   (%(agents)s::int[])[1 + t.id %% cardinality(%(agents)s::int[])], false,
                   (%(sentences)s::text[])[1 + (t.id / 3) %% cardinality(%(sentences)s::text[])], t.created_at
            FROM tickets_ticket t
            """,
            {"sentences": SENTENCES, "rare": RARE_EVERY, "word": RARE_WORD, "agents": [a.pk for a in agents]},
        )
    # One customer has a phone number (encrypted, with its blind index), looked up exactly.
    customer = customers[0]
    customer.phone = PHONE
    customer.save()
    return time.perf_counter() - started


def _backfill() -> tuple[float, str]:
    started = time.perf_counter()
    out = StringIO()
    call_command("reindex_tickets", "--batch-size", "2000", stdout=out, verbosity=0)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticketsearch")
        cursor.execute("ANALYZE tickets_ticket")
    return seconds, out.getvalue().strip()


def _page_call(user: User, text: str) -> Callable[[], Any]:
    query = search.parse(text)
    return lambda: selectors.search_page(user, query)


def _plan(user: User, text: str) -> list[str]:
    tickets = search.search(selectors.searchable_tickets(user), search.parse(text), user=user,
                            include_notes=True)[:26]
    return [line.strip() for line in tickets.explain(analyze=True).splitlines()
            if "Scan" in line or "Execution Time" in line or "Loop" in line][:8]


def _measure(user: User, text: str) -> dict[str, Any]:
    call = _page_call(user, text)
    first = call()
    # The connection keeps at most 9,000 logged queries; a full log would capture none.
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        call()
    timings = {}
    for captured in queries.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + captured["sql"])
            timings[captured["sql"][:60]] = round(cursor.fetchone()[0][0]["Execution Time"], 2)
    return {"query": text, "rows": len(first.hits), "more": first.next_before is not None,
            "queries": len(queries), **percentiles(timed(RUNS, call)), "plan": _plan(user, text),
            "query_ms": timings}


def _size() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size('tickets_ticketsearch')), "
            "pg_size_pretty(pg_relation_size('ticket_search_staff')), "
            "pg_size_pretty(pg_table_size('tickets_ticket')), pg_size_pretty(pg_table_size('tickets_ticketmessage'))")
        table, index, tickets, messages = cursor.fetchone()
    return {"search_table": table, "gin_index": index, "tickets_table": tickets, "messages_table": messages}


def test_ticket_search_at_scale(report: Any) -> None:
    teams, agents, customers, policy = _setup()
    load_s = _bulk_load(teams, agents, customers, policy)
    messages_s = _load_messages(customers, agents)
    backfill_s, summary = _backfill()
    report("search_load", tickets=SCALE, messages=TicketMessage.objects.count(), load_seconds=round(load_s, 1),
           messages_seconds=round(messages_s, 1), backfill_seconds=round(backfill_s, 1),
           backfill_tickets_per_second=round(SCALE / backfill_s), backfill=summary, **_size())

    agent = agents[0]
    supervisor = UserFactory.create(roles=(Role.SUPERVISOR,))
    sample = Ticket.objects.order_by("pk")[SCALE // 2]
    cases = {
        "common_word": "物流",
        "common_two_words": "退款 到账",
        "rare_word": RARE_WORD,
        "number_exact": sample.number,
        "number_prefix": sample.number[:-2],
        # Numbers are 'B' + 10 digits: from 100,000 tickets up these prefixes match 1,000 and 10,000 tickets in
        # one old stretch of ids, past the newest ones search walks first.
        "number_prefix_1000": sample.number[:-3],
        "number_prefix_10000": sample.number[:-4],
        "phone": PHONE,
        "no_match": "不存在的词语组合",
    }
    for who, user in (("agent", agent), ("supervisor", supervisor)):
        for name, text in cases.items():
            report(f"search_{name}_{who}", tickets=SCALE, **_measure(user, text))

    api = APIClient()
    api.force_authenticate(agent)
    # The API's list without a query beside it: what serialising a page costs apart from searching.
    for name, params in (("search_api_common_word_agent", {"q": "物流"}), ("search_api_rare_word_agent",
                                                                          {"q": RARE_WORD}),
                         ("tickets_api_list_no_query_agent", {})):
        api.get("/api/v1/tickets/", params)
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/tickets/", params)
        assert response.status_code == 200
        report(name, tickets=SCALE, queries=len(queries), rows=len(response.json()["results"]),
               **percentiles(timed(RUNS, _api_call(api, params))))

    # What the index costs a write: appending one message to a ticket (one upsert statement).
    message = TicketMessage.objects.filter(ticket_id=sample.pk).first()
    assert message is not None
    append = timed(RUNS, lambda: search_index.index_message(message))
    report("search_index_append_message", **percentiles(append))


def _api_call(api: APIClient, params: dict[str, str]) -> Callable[[], Any]:
    return lambda: api.get("/api/v1/tickets/", params)

