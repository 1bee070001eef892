"""The pluggable speech-to-text adapter: off by default, and when configured a task fills the transcript."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services
from chat.models import Attachment
from chat.tasks import transcribe_voice
from core.models import OutboxMessage
from profiles.models import User
from tests.chat.factories import start_chat
from tests.chat.test_pages import wav_bytes

pytestmark = pytest.mark.django_db


class FakeSpeech:
    def transcribe(self, data: bytes, content_type: str) -> str:
        return f" 我想查一下订单 ({content_type}, {len(data)} bytes) "


def queued() -> list[int]:
    return [message.kwargs["attachment_id"]
            for message in OutboxMessage.objects.filter(task_name="chat.tasks.transcribe_voice")]


def upload_voice(customer: User) -> Attachment:
    conversation = start_chat(customer)
    return services.attachment_upload(
        conversation_id=conversation.pk, user=customer, kind="voice", upload=SimpleUploadedFile("v.wav", wav_bytes(1))
    )


def test_no_adapter_by_default_means_no_transcription(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attachment = upload_voice(make_user("customer"))
    assert queued() == []
    assert transcribe_voice.apply(args=(attachment.pk,)).get() is False


def test_configured_adapter_transcribes_once(
    make_user: Callable[..., User], django_capture_on_commit_callbacks: Any, settings: Any,
) -> None:
    settings.CHAT_SPEECH_TO_TEXT = "tests.chat.test_speech.FakeSpeech"
    with django_capture_on_commit_callbacks(execute=True):
        attachment = upload_voice(make_user("customer"))
    assert queued() == [attachment.pk]

    assert transcribe_voice.apply(args=(attachment.pk,)).get() is True
    attachment.refresh_from_db()
    assert attachment.transcript.startswith("我想查一下订单 (audio/wav,")
    # Idempotent: a redelivered task leaves the transcript alone.
    assert transcribe_voice.apply(args=(attachment.pk,)).get() is False
