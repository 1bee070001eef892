"""Checking, re-encoding and storing chat uploads. Content decides the kind, never the file name.

Images are re-encoded by core's `reencode_image` (which drops anything hidden in them, EXIF
included) and shrunk, with a thumbnail. Voice clips are WAV (duration read exactly) or a compressed
format whose duration is bounded through its size. Video and other files are size-capped, and other
files must be on the allow-list of documents and pictures (`check_file`).
"""

import io
import wave
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from chat.errors import ChatError
from chat.models import Attachment
from core.filenames import stored_file_name
from core.images import ImageRefused, reencode_image

IMAGE_MAX_SIDE = 1920
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 82

# Magic numbers: (offset, bytes) -> content type.
_AUDIO_SIGNATURES = [
    (0, b"OggS", "audio/ogg"),
    (0, b"\x1a\x45\xdf\xa3", "audio/webm"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (4, b"ftyp", "audio/mp4"),
]
_VIDEO_SIGNATURES = [
    (4, b"ftyp", "video/mp4"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
]
# The files a customer or agent may send, recognised by their first bytes, never by their name:
# documents and pictures. Anything else (programs, scripts, archives, web pages) is refused. Office
# Open XML files are zip archives, told apart from other archives by their main folder. Signatures are
# listed here rather than taken from a sniffing library: the allow-list is short and each entry is
# checked further below. All of them are served as downloads, except PDF (chat.views.attachment).
_FILE_SIGNATURES = [
    (0, b"%PDF-", "application/pdf"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-office"),  # .doc .xls .ppt
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
]
_OFFICE_OPEN_XML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_TEXT_CONTROLS = frozenset(range(32)) - {9, 10, 13}


@dataclass(frozen=True)
class Checked:
    kind: str
    content: bytes
    content_type: str
    name: str
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    thumbnail: bytes | None = None


def _sniff(head: bytes, signatures: list[tuple[int, bytes, str]]) -> str | None:
    for offset, magic, content_type in signatures:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    return None


def _too_big(limit: int) -> ChatError:
    return ChatError("file_too_large", _("The file is larger than %(mb).1f MB.") % {"mb": limit / 1024 / 1024})


def _read_capped(upload: UploadedFile, limit: int) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise _too_big(limit)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_big(limit)
    if not data:
        raise ChatError("empty_file", _("The file is empty."))
    return data


def _base_name(upload: UploadedFile) -> str:
    return stored_file_name(upload.name, fallback="upload", max_length=150)


def check_image(data: bytes, name: str) -> Checked:
    try:
        image = reencode_image(data, box=(IMAGE_MAX_SIDE, IMAGE_MAX_SIDE), jpeg_quality=JPEG_QUALITY,
                               thumbnail_side=THUMBNAIL_SIDE)
    except ImageRefused as refusal:
        raise ChatError("invalid_image", refusal.message) from refusal
    stem = name.rsplit(".", 1)[0][:100] or "image"
    return Checked(
        kind=Attachment.Kind.IMAGE, content=image.data, content_type=image.content_type,
        name=f"{stem}.{image.extension}", width=image.width, height=image.height, thumbnail=image.thumbnail,
    )


def check_voice(data: bytes, name: str) -> Checked:
    max_ms = settings.CHAT_VOICE_MAX_SECONDS * 1000
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data)) as clip:
                duration_ms = int(clip.getnframes() * 1000 / clip.getframerate())
        except (wave.Error, EOFError, ZeroDivisionError) as error:
            raise ChatError("invalid_audio", _("This is not an audio clip we can play.")) from error
        content_type = "audio/wav"
    else:
        sniffed = _sniff(data, _AUDIO_SIGNATURES)
        if sniffed is None:
            raise ChatError("invalid_audio", _("This is not an audio clip we can play."))
        content_type, duration_ms = sniffed, None
        # Compressed clips are not decoded here; a bitrate ceiling turns the duration cap into a size cap.
        if len(data) > settings.CHAT_VOICE_MAX_SECONDS * settings.CHAT_VOICE_MAX_BYTES_PER_SECOND:
            raise ChatError(
                "voice_too_long", _("Voice messages can be at most %(seconds)d seconds.")
                % {"seconds": settings.CHAT_VOICE_MAX_SECONDS},
            )
    if duration_ms is not None and duration_ms > max_ms:
        raise ChatError(
            "voice_too_long", _("Voice messages can be at most %(seconds)d seconds.")
            % {"seconds": settings.CHAT_VOICE_MAX_SECONDS},
        )
    return Checked(kind=Attachment.Kind.VOICE, content=data, content_type=content_type, name=name,
                   duration_ms=duration_ms)


def check_video(data: bytes, name: str) -> Checked:
    content_type = _sniff(data, _VIDEO_SIGNATURES)
    if content_type is None:
        raise ChatError("invalid_video", _("Only MP4 and WebM videos can be sent."))
    return Checked(kind=Attachment.Kind.VIDEO, content=data, content_type=content_type, name=name)


def _office_open_xml(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for folder, kind in _OFFICE_OPEN_XML.items() if any(n.startswith(folder) for n in names)), None)


def _plain_text(data: bytes) -> str | None:
    """text/plain for UTF-8 or GB18030 text without control characters; markup (HTML, SVG, XML) is not text here."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text.lstrip().startswith("<") or any(ord(char) in _TEXT_CONTROLS for char in text):
            return None
        return "text/plain"
    return None


def check_file(data: bytes, name: str) -> Checked:
    if data.startswith(b"PK\x03\x04"):
        content_type = _office_open_xml(data)
    else:
        content_type = _sniff(data, _FILE_SIGNATURES) or _plain_text(data)
    if content_type is None:
        raise ChatError("file_type_refused", _(
            "This kind of file cannot be sent. You can send PDF, Word, Excel and PowerPoint documents, plain "
            "text and pictures."))
    return Checked(kind=Attachment.Kind.FILE, content=data, content_type=content_type, name=name)


def check_upload(*, kind: str, upload: UploadedFile) -> Checked:
    limits: dict[str, int] = {
        Attachment.Kind.IMAGE: settings.CHAT_IMAGE_MAX_BYTES,
        Attachment.Kind.VOICE: settings.CHAT_VOICE_MAX_BYTES,
        Attachment.Kind.VIDEO: settings.CHAT_VIDEO_MAX_BYTES,
        Attachment.Kind.FILE: settings.CHAT_FILE_MAX_BYTES,
    }
    if kind not in limits:
        raise ChatError("invalid_kind", _("kind must be one of: %(kinds)s") % {"kinds": ", ".join(limits)})
    data = _read_capped(upload, limits[kind])
    name = _base_name(upload)
    checkers: dict[str, Callable[[bytes, str], Checked]] = {
        Attachment.Kind.IMAGE: check_image,
        Attachment.Kind.VOICE: check_voice,
        Attachment.Kind.VIDEO: check_video,
        Attachment.Kind.FILE: check_file,
    }
    return checkers[kind](data, name)


def store(checked: Checked, attachment: Attachment) -> None:
    """Write the checked bytes into the attachment's storage fields (the caller saves the row)."""
    attachment.file.save(checked.name, ContentFile(checked.content), save=False)
    if checked.thumbnail is not None:
        attachment.thumbnail.save(f"thumb-{checked.name}", ContentFile(checked.thumbnail), save=False)
