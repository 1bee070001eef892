"""Pluggable speech-to-text for voice messages. None is configured by default.

To transcribe voice clips, set `CHAT_SPEECH_TO_TEXT` to the dotted path of a class with a
`transcribe(data: bytes, content_type: str) -> str` method (for example a wrapper around a cloud
ASR API or a local Whisper model). After a voice clip is uploaded, a Celery task calls it and
stores the text on the attachment, which the agent console shows under the player.
"""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SpeechToText(Protocol):
    def transcribe(self, data: bytes, content_type: str) -> str: ...


def get_adapter() -> SpeechToText | None:
    path = settings.CHAT_SPEECH_TO_TEXT
    return import_string(path)() if path else None
