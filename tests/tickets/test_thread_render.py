"""The thread's messages are written by a tag (ticket_tags.thread_messages), not by the template loop they
replaced: the tag's HTML must be the loop's, for any author, body, mail, delivery, channel card and files, for the
desk and for the customer (compared with whitespace between tags folded, which HTML does not show)."""

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import engines
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.templatetags.ticket_tags import thread_messages

# The loop of templates/tickets/_thread.html before the tag wrote it (the reference, kept as it was, but for the
# message's files: `m.attachments.all` then, `m.files` as the page's selector gives them now).
LOOP = """{% load i18n %}{% for m in messages %}
    {% if desk or m.kind == "reply" %}
    <li class="tk-msg tk-msg--{{ m.kind }}{% if m.from_customer %} tk-msg--customer{% else %} tk-msg--desk{% endif %}" id="m{{ m.pk }}" data-message-id="{{ m.pk }}">
      <div class="tk-msg__meta">
        <span class="avatar" aria-hidden="true">{{ m.author.get_short_name|slice:":1"|upper }}</span>
        <strong>{% if m.from_customer %}<bdi>{{ m.author }}</bdi>{% elif desk %}<bdi>{{ m.author }}</bdi>{% else %}{% translate "Service desk" %}{% endif %}</strong>
        {% if m.kind == "note" %}<span class="tk-note-label">{% translate "Internal note" %}</span>{% endif %}
        {% if desk and m.email_record %}{% with mail=m.email_record %}
          {% if mail.direction == "in" %}<span class="tk-mail">{% translate "By e-mail" %}</span>
          {% elif mail.bounced_at %}<span class="tk-mail tk-mail--problem" title="{{ mail.detail }}">{% translate "E-mail bounced" %}</span>
          {% elif mail.outcome == "failed" %}<span class="tk-mail tk-mail--problem" title="{{ mail.detail }}">{% translate "E-mail not sent" %}</span>
          {% else %}<span class="tk-mail">{{ mail.get_outcome_display }}</span>{% endif %}
        {% endwith %}{% endif %}
        <time class="muted small" datetime="{{ m.created_at.isoformat }}">{{ m.created_at|date:"SHORT_DATETIME_FORMAT" }}</time>
        {% if desk %}{% with outbound=m.outbound_record %}{% if outbound %}<span class="tk-delivery tk-delivery--{{ outbound.status }}" title="{{ outbound.error }}">{{ outbound.get_channel_display }} · {{ outbound.get_status_display }}</span>{% endif %}{% endwith %}{% endif %}
      </div>
      <div class="tk-msg__body">{{ m.body|linebreaksbr }}</div>
      {% if desk %}{% with inbound=m.inbound_record %}{% if inbound %}{% include "tickets/_inbound_content.html" %}{% endif %}{% endwith %}{% endif %}
      {% if m.files %}
        <ul class="tk-files">
          {% for a in m.files %}<li>{% if a.content_type|slice:":6" == "audio/" %}<audio controls preload="none" src="{% url 'desk_tickets:attachment' a.pk %}"></audio> {% endif %}{% if a.content_type|slice:":6" == "video/" %}<video controls preload="none" src="{% url 'desk_tickets:attachment' a.pk %}"></video> {% endif %}<a href="{% url 'desk_tickets:attachment' a.pk %}"><bdi>{{ a.filename }}</bdi></a> <span class="muted small">{{ a.size|filesizeformat }}</span></li>{% endfor %}
        </ul>
      {% endif %}
    </li>
    {% endif %}
  {% endfor %}"""  # noqa: E501

_texts = st.text(alphabet=st.sampled_from(list("ab <>&\"'中文 \n\r")), max_size=10)


class _Named(SimpleNamespace):
    def __str__(self) -> str:
        return str(self.name)

    def get_short_name(self) -> str:
        return str(self.name)


def _choice_display(value: str) -> Any:
    return lambda: f"«{value}»"


_mails = st.one_of(st.none(), st.builds(
    lambda direction, bounced, outcome, detail: SimpleNamespace(
        direction=direction, bounced_at=bounced, outcome=outcome, detail=detail,
        get_outcome_display=_choice_display(outcome)),
    st.sampled_from(["in", "out"]), st.sampled_from([None, datetime(2026, 12, 1, tzinfo=UTC)]),
    st.sampled_from(["sent", "failed", "queued"]), _texts))
_outbounds = st.one_of(st.none(), st.builds(
    lambda status, error, channel: SimpleNamespace(status=status, error=error, get_channel_display=lambda: channel,
                                                   get_status_display=_choice_display(status)),
    st.sampled_from(["sent", "failed", "<read>"]), st.one_of(st.none(), _texts), _texts))
_inbounds = st.one_of(st.none(), st.builds(
    lambda kind, details, error: SimpleNamespace(
        msg_type=kind, details=details, map_url="https://maps.example/?q=1" if kind == "location" else "",
        link_url="https://example.com/a?b=<c>" if kind == "link" else "", unsupported_type=kind == "video_call",
        media_error=error, media_id="m1", media_fetched=False),
    st.sampled_from(["location", "link", "file", "video_call", "text"]),
    st.fixed_dictionaries({"Label": _texts, "Title": _texts, "Url": _texts, "FileTotalLen": st.integers(0, 10**7)}),
    _texts))
_files = st.lists(st.builds(
    lambda pk, content_type, filename, size: SimpleNamespace(pk=pk, content_type=content_type, filename=filename,
                                                             size=size),
    st.integers(1, 10**6), st.sampled_from(["audio/amr", "video/mp4", "image/png", "application/pdf", "audio"]),
    _texts, st.integers(0, 10**10)), max_size=3)
_messages = st.lists(st.builds(
    lambda pk, kind, from_customer, author, body, mail, outbound, inbound, files, created: SimpleNamespace(
        pk=pk, kind=kind, from_customer=from_customer, author=_Named(name=author), body=body, email_record=mail,
        outbound_record=outbound, inbound_record=inbound, files=files, created_at=created),
    st.integers(1, 10**9), st.sampled_from(["reply", "note"]), st.booleans(), _texts, _texts, _mails, _outbounds,
    _inbounds, _files, st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
                                    timezones=st.just(UTC))), max_size=4)


def _folded(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@settings(max_examples=150, deadline=None)
@given(messages=_messages, desk=st.booleans())
def test_the_tag_writes_what_the_template_loop_wrote(language: str, messages: list[Any], desk: bool) -> None:
    loop = engines["django"].from_string(LOOP)
    with translation.override(language), timezone.override("Asia/Shanghai"):
        expected = loop.render({"messages": messages, "desk": desk})
        assert _folded(thread_messages(messages, desk)) == _folded(expected)
