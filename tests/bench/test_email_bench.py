"""Inbound e-mail: parse + thread + store throughput over generated mail, and over the real-world corpus.

EMAIL_BENCH_MESSAGES (default 10,000, the issue's figure) mails from a quarter as many senders: every
mail carries a PNG attachment; the first mail of each sender opens a ticket, later ones answer an
earlier mail by In-Reply-To / References (half of them) or name the ticket number in the subject.
Mails are generated before the clock starts; the clock covers `email_receive` only.
"""

import contextlib
import gc
import os
import random
import time
from email.utils import make_msgid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import config_cache
from core.gc_tuning import tune_after_startup
from core.segmentation import index_text
from tests.bench.timing import percentiles
from tests.tickets.corpus import CORPUS, corpus_files
from tests.tickets.mails import MAILBOX, raw
from tickets.channels.email.intake import email_receive
from tickets.channels.email.parsing import MalformedEmail, parse
from tickets.models import EmailMessage, Mailbox, Ticket, TicketAttachment
from tickets.models import TicketMessage as Message

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

MESSAGES = int(os.environ.get("EMAIL_BENCH_MESSAGES", "10000"))
SENDERS = max(MESSAGES // 4, 1)


def _attachment(rng: random.Random) -> bytes:
    from io import BytesIO

    from PIL import Image

    # Noise, so the PNG does not compress to nothing: about 8 KB, like a small phone screenshot.
    image = Image.frombytes("RGB", (60, 45), rng.randbytes(60 * 45 * 3))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _mails() -> list[tuple[int, bytes, str]]:
    """(sender, raw mail, kind) in delivery order; kind is new / reply / number."""
    rng = random.Random(9)
    picture = _attachment(rng)
    last_id: dict[int, str] = {}
    mails = []
    for n in range(MESSAGES):
        sender = n % SENDERS
        message_id = make_msgid(domain="bench.example")
        common = {"sender": f"客户{sender} <customer{sender}@bench.example>", "message_id": message_id,
                  "attachments": (("截图.png", picture, "image/png"),)}
        if sender not in last_id:
            body = f"订单 DD{n:08d} 还没有发货，请帮忙查一下。\n\n谢谢"  # noqa: RUF001
            mails.append((sender, raw(subject=f"订单 DD{n:08d} 没有发货", body=body, **common), "new"))
        elif n % 2:
            body = f"还是没有收到。\n\nOn Mon, Nov 23, 2026 Support <{MAILBOX}> wrote:\n> 已为您催促"
            mails.append((sender, raw(subject="Re: 订单没有发货", body=body, in_reply_to=last_id[sender],
                                      references=last_id[sender], **common), "reply"))
        else:
            mails.append((sender, raw(subject="补充信息 [{number}]", body="补充一张截图", **common), "number"))
        last_id[sender] = message_id
    return mails


# Each mail commits, as the endpoint's request does: inside one test transaction the advisory locks every mail
# takes (its Message-ID, its sender) would pile up until PostgreSQL's lock table ran out (max_locks_per_transaction).
@pytest.mark.django_db(transaction=True)
def test_inbound_email_throughput(report: Any, settings: Any, tmp_path: Any) -> None:
    settings.TICKETS_MEDIA_ROOT = str(tmp_path / "attachments")
    Mailbox.objects.create(address=MAILBOX)
    mails = _mails()
    numbers: dict[int, str] = {}

    started = time.perf_counter()
    for _sender, mail, _kind in mails[:200]:
        parse(mail)
    parse_per_second = 200 / (time.perf_counter() - started)

    samples = []
    started = time.perf_counter()
    for sender, mail, kind in mails:
        if kind == "number":
            # The number exists only once the sender's ticket does: filled in as a customer would copy it.
            mail = mail.replace(b"[{number}]", f"[{numbers[sender]}]".encode())
        began = time.perf_counter()
        email = email_receive(raw=mail).email
        samples.append((time.perf_counter() - began) * 1000)
        if kind == "new":
            assert email.ticket is not None
            numbers[sender] = email.ticket.number
    elapsed = time.perf_counter() - started

    assert EmailMessage.objects.count() == MESSAGES
    assert EmailMessage.objects.filter(outcome=EmailMessage.Outcome.TICKET).count() == MESSAGES
    assert Ticket.objects.count() == min(SENDERS, MESSAGES)
    assert Message.objects.count() == MESSAGES and TicketAttachment.objects.count() == MESSAGES
    report("email_inbound_throughput", messages=MESSAGES, senders=SENDERS,
           tickets=Ticket.objects.count(), seconds=round(elapsed, 1),
           messages_per_s=round(MESSAGES / elapsed, 1), parse_only_per_s=round(parse_per_second, 1),
           avg_raw_bytes=sum(len(mail) for _, mail, _ in mails) // len(mails), **percentiles(samples))


def test_corpus_intake_throughput(report: Any, settings: Any, tmp_path: Any) -> None:
    """The 372 published real-world mails (tests/data/mail): parse + store, one process, and the slowest parse;
    with the CPU time and database round trips (savepoints included) per mail."""
    settings.TICKETS_MEDIA_ROOT = str(tmp_path / "attachments")
    settings.EMAIL_INBOUND_PER_SENDER_PER_HOUR = 100_000
    Mailbox.objects.create(address=MAILBOX)
    mails = [(str(path.relative_to(CORPUS)), path.read_bytes()) for path in corpus_files()]
    # A running worker has loaded jieba's dictionary (about 2.5 s, once per process) before its first mail, and
    # frozen its start-up objects out of the collector's way (core.gc_tuning, service_center/celery.py): without
    # that, a full collection of the test process's heap (~0.4 s) landed inside whichever parse triggered it.
    index_text("预热")
    threshold = gc.get_threshold()
    tune_after_startup()
    try:
        _corpus_intake(report, mails)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def _corpus_intake(report: Any, mails: list[tuple[str, bytes]]) -> None:
    parse_ms = []
    parse_started = time.perf_counter()
    for name, mail in mails:
        began = time.perf_counter()
        with contextlib.suppress(MalformedEmail):
            parse(mail)
        parse_ms.append(((time.perf_counter() - began) * 1000, name))
    parse_per_second = len(mails) / (time.perf_counter() - parse_started)

    samples = []
    refused = 0
    # As the IMAP poller runs them: the desk's configuration read once per poll (config_cache.run_scope).
    with CaptureQueriesContext(connection) as queries, config_cache.run_scope():
        started, cpu_started = time.perf_counter(), time.process_time()
        for _name, mail in mails:
            began = time.perf_counter()
            try:
                email_receive(raw=mail)
            except MalformedEmail:
                refused += 1
            samples.append((time.perf_counter() - began) * 1000)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    worst_ms, worst_name = max(parse_ms)
    report("email_corpus_intake", messages=len(mails), refused=refused, stored=EmailMessage.objects.count(),
           seconds=round(elapsed, 2), messages_per_s=round(len(mails) / elapsed, 1),
           # CPU time of this process per mail (time.process_time): what a loaded machine disturbs least.
           cpu_ms_per_message=round(cpu * 1000 / len(mails), 2),
           queries_per_message=round(len(queries.captured_queries) / len(mails), 2),
           parse_only_per_s=round(parse_per_second, 1),
           worst_parse_ms=round(worst_ms, 1), worst_parse_mail=worst_name,
           avg_raw_bytes=sum(len(mail) for _, mail in mails) // len(mails), **percentiles(samples))
