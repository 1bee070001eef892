"""QA: scorecards with weighted criteria, the sampled reviews of conversations, their scores and appeals.

These tables were created by the reports app (reports/migrations/0005_quality.py) and keep their names
(`reports_*`): the move to this app changed only Django's state and the content types, not a row
(quality/migrations/0001_initial.py). reports reads them for the agent KPIs; it never writes them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords


class Scorecard(models.Model):
    """What QA scores a conversation on: weighted criteria, edited in admin."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(table_name="reports_historicalscorecard")

    class Meta:
        db_table = "reports_scorecard"
        verbose_name = _("QA scorecard")
        verbose_name_plural = _("QA scorecards")

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="criteria",
                                  verbose_name=_("scorecard"))
    label = models.CharField(_("label"), max_length=200)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1, validators=[MinValueValidator(1)])
    max_points = models.PositiveSmallIntegerField(_("maximum points"), default=5, validators=[MinValueValidator(1)])
    # Failing a critical criterion (0 points: rude, leaked data, wrong refund) zeroes the whole score.
    critical = models.BooleanField(_("critical"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords(table_name="reports_historicalcriterion")

    class Meta:
        db_table = "reports_criterion"
        verbose_name = _("QA criterion")
        verbose_name_plural = _("QA criteria")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="qa_criterion_weight_positive"),
            models.CheckConstraint(condition=models.Q(max_points__gte=1), name="qa_criterion_max_points_positive"),
        ]

    def __str__(self) -> str:
        return self.label


class Review(models.Model):
    """One sampled conversation (a ticket or a chat) in the QA queue, and its score once given."""

    class SampleReason(models.TextChoices):
        RANDOM = "random", _("Random share")
        LOW_SATISFACTION = "low_satisfaction", _("Low satisfaction")
        ESCALATED = "escalated", _("Escalated")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for QA")
        SCORED = "scored", _("Scored")
        APPEALED = "appealed", _("Appealed")
        UPHELD = "upheld", _("Appeal upheld")
        REJECTED = "rejected", _("Appeal rejected")

    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="reviews",
                                  verbose_name=_("scorecard"))
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               verbose_name=_("ticket"))
    conversation = models.ForeignKey("chat.Conversation", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", verbose_name=_("chat"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qa_reviews",
                              verbose_name=_("agent"))
    sample_reason = models.CharField(_("sampled because"), max_length=20, choices=SampleReason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Percent of the maximum, two decimals; after an upheld appeal the adjusted figure (the first is kept).
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True,
                                validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    original_score = models.DecimalField(_("score before appeal"), max_digits=5, decimal_places=2, null=True,
                                         blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("reviewer"))
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    appeal_reason = models.TextField(_("appeal reason"), max_length=1000, blank=True)
    appeal_response = models.TextField(_("appeal response"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("sampled"), auto_now_add=True)
    history = HistoricalRecords(table_name="reports_historicalreview")

    class Meta:
        db_table = "reports_review"
        verbose_name = _("QA review")
        verbose_name_plural = _("QA reviews")
        permissions = [("score_review", _("Can sample and score conversations"))]
        indexes = [
            models.Index(fields=["status", "id"], name="qa_review_queue_idx"),
            models.Index(fields=["agent", "-scored_at"], name="qa_review_agent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(ticket__isnull=False, conversation__isnull=True)
                           | models.Q(ticket__isnull=True, conversation__isnull=False)),
                name="qa_review_one_target",
            ),
            # Sampling twice never queues the same conversation twice.
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(ticket__isnull=False),
                                    name="qa_review_unique_ticket"),
            models.UniqueConstraint(fields=["conversation"], condition=models.Q(conversation__isnull=False),
                                    name="qa_review_unique_chat"),
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                                   name="qa_review_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"QA #{self.pk}"


class CriterionScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review"))
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion"))
    points = models.PositiveSmallIntegerField(_("points"))
    history = HistoricalRecords(table_name="reports_historicalcriterionscore")

    class Meta:
        db_table = "reports_criterionscore"
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="qa_score_once_per_criterion")]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}"
