"""Attachments on ticket and side-conversation messages: size-capped and accepted by what the bytes are, not by
their name."""

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from core.filenames import stored_file_name
from tickets.models import SideAttachment, SideMessage, TicketAttachment, TicketMessage

# Leading bytes → the type we store. Anything else is refused, whatever its extension claims.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    # Voice messages (WeChat sends AMR and Speex in Ogg) and call recordings; MP4 video below.
    (b"#!AMR", "audio/amr"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    # Outlook's winmail.dat (TNEF): mail attachments the customer's client wrapped; kept for download.
    (b"\x78\x9f\x3e\x22", "application/ms-tnef"),
)


def sniff(data: bytes) -> str | None:
    """The content type the bytes prove, or None. Plain UTF-8 text without NULs counts as text."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":  # ISO media: WeChat's videos are MP4
        return "audio/mp4" if data[8:11] == b"M4A" else "video/mp4"
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def check(upload: UploadedFile) -> tuple[bytes, str]:
    limit = settings.TICKETS_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"attachments": _("%(name)s is larger than %(limit)s MB.") % {
            "name": upload.name, "limit": round(limit / 1024 / 1024, 1)}})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"attachments": _("%(name)s is larger than %(limit)s MB.") % {
            "name": upload.name, "limit": round(limit / 1024 / 1024, 1)}})
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError({"attachments": _("%(name)s is not an image, PDF, audio or text file.") % {
            "name": upload.name}})
    return data, content_type


def attach(*, message: TicketMessage | SideMessage, uploads: Iterable[UploadedFile]
           ) -> list[TicketAttachment | SideAttachment]:
    """Check every upload first, then store them, so one bad file leaves nothing half-written."""
    checked = [(upload, *check(upload)) for upload in uploads]
    stored: list[TicketAttachment | SideAttachment] = []
    for upload, data, content_type in checked:
        name = stored_file_name(upload.name, fallback="file", max_length=200)
        fields = {"filename": name, "content_type": content_type, "size": len(data),
                  "sha256": hashlib.sha256(data).hexdigest()}
        attachment = SideAttachment(message=message, **fields) if isinstance(message, SideMessage) \
            else TicketAttachment(message=message, **fields)
        attachment.file.save(name, ContentFile(data), save=False)
        attachment.save()
        stored.append(attachment)
    return stored
