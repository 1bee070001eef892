from celery import shared_task

from chat import services, speech
from chat.models import Attachment


@shared_task
def transcribe_voice(attachment_id: int) -> bool:
    """Idempotent: a clip that already has its transcript is left alone."""
    adapter = speech.get_adapter()
    attachment = Attachment.objects.filter(pk=attachment_id, kind=Attachment.Kind.VOICE, transcript="").first()
    if adapter is None or attachment is None:
        return False
    with attachment.file.open("rb") as clip:
        text = adapter.transcribe(clip.read(), attachment.content_type)
    Attachment.objects.filter(pk=attachment_id).update(transcript=text.strip())
    return True


@shared_task(acks_late=True, ignore_result=True)
def assign_waiting() -> int:
    """Hand waiting chats to agents with room; safe to run twice (a second run finds nothing to fit)."""
    return services.assign_waiting()
