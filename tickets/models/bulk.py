"""Bulk actions on many tickets: one row per request, worked through ticket by ticket (resumable)."""

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class BulkJob(models.Model):
    """The tickets are fixed when the job is made; `position` is how many are done, so a job that stops
    half-way (a worker killed, a redelivery) goes on from where it was and never does a ticket twice."""

    class Action(models.TextChoices):
        ASSIGN = "assign", _("Assign")
        STATUS = "status", _("Set status")
        PRIORITY = "priority", _("Set priority")
        TAG = "tag", _("Add tag")
        MACRO = "macro", _("Apply macro")
        MERGE = "merge", _("Merge into one ticket")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_jobs",
                              verbose_name=_("by"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # What the action needs: {"assignee_id"}, {"status"}, {"priority"}, {"tag"}, {"macro_id"}, {"target_id"}.
    params = models.JSONField(_("parameters"), default=dict)
    ticket_ids = ArrayField(models.IntegerField(), verbose_name=_("tickets"))
    position = models.PositiveIntegerField(_("done"), default=0)
    succeeded = models.PositiveIntegerField(_("succeeded"), default=0)
    # [{"ticket_id": 1, "number": "T…", "reason": "…"}], one per ticket the action could not change.
    failures = models.JSONField(_("failures"), default=list)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {len(self.ticket_ids)}"

    @property
    def total(self) -> int:
        return len(self.ticket_ids)

    @property
    def percent(self) -> int:
        return 100 if not self.ticket_ids else self.position * 100 // len(self.ticket_ids)
