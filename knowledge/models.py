"""The knowledge base: a category tree of articles (FAQ, guide, policy, process) in zh and en."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords
from knowledge.rendering import validate_article_markdown


def _localized(zh: str, en: str) -> str:
    # English readers get the English text when there is one; everyone else the Chinese original.
    language = translation.get_language() or "zh-hans"
    return en if language.startswith("en") and en else zh


class Category(models.Model):
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    description_zh = models.CharField(_("description (Chinese)"), max_length=200, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def description(self) -> str:
        return _localized(self.description_zh, self.description_en)


class Article(models.Model):
    class Kind(models.TextChoices):
        FAQ = "faq", _("FAQ")
        GUIDE = "guide", _("Guide")
        POLICY = "policy", _("Policy")
        PROCESS = "process", _("Process")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal (agents only)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        OFFLINE = "offline", _("Offline")

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FAQ)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    # Other ways customers ask the same thing, one per line: searched with weight B.
    question_zh = models.TextField(_("questions (Chinese)"), blank=True)
    question_en = models.TextField(_("questions (English)"), blank=True)
    body_zh = models.TextField(_("body (Chinese, Markdown)"), validators=[validate_article_markdown])
    body_en = models.TextField(_("body (English, Markdown)"), blank=True, validators=[validate_article_markdown])
    # The bodies rendered and sanitised once when saved (knowledge.services): a page view never renders.
    body_html_zh = models.TextField(_("body (Chinese, HTML)"), editable=False, default="")
    body_html_en = models.TextField(_("body (English, HTML)"), editable=False, default="")
    tags = ArrayField(models.CharField(max_length=30), verbose_name=_("tags"), default=list, blank=True)
    related = models.ManyToManyField("self", verbose_name=_("related articles"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="authored_articles",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="reviewed_articles",
    )
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Counters are maintained with F() updates on write, never counted per request.
    view_count = models.PositiveIntegerField(_("views"), default=0)
    click_count = models.PositiveIntegerField(_("search clicks"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)
    search_vector = SearchVectorField(null=True, editable=False, verbose_name=_("search vector"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["search_vector", "body_html_zh", "body_html_en", "view_count", "click_count", "helpful_yes",
                         "helpful_no"]
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("review_article", _("Can review, publish and take articles offline"))]
        indexes = [
            GinIndex(fields=["search_vector"], name="knowledge_article_search"),
            models.Index(fields=["status", "audience", "-view_count"], name="knowledge_article_top"),
            models.Index(fields=["category", "status"], name="knowledge_article_category"),
            models.Index(
                fields=["publish_at"], name="knowledge_article_due_publish", condition=Q(status="scheduled")
            ),
            models.Index(
                fields=["expires_at"], name="knowledge_article_due_expiry", condition=Q(status="published")
            ),
        ]

    def __str__(self) -> str:
        return self.title_zh

    @property
    def title(self) -> str:
        return _localized(self.title_zh, self.title_en)

    @property
    def body(self) -> str:
        return _localized(self.body_zh, self.body_en)

    @property
    def body_html(self) -> SafeString:
        # Sanitised by nh3 when it was stored (knowledge.rendering).
        return mark_safe(_localized(self.body_html_zh, self.body_html_en))  # noqa: S308


class ArticleVersion(models.Model):
    """An immutable snapshot written on every save; history of the snapshot itself is not needed."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    question_zh = models.TextField(_("questions (Chinese)"), blank=True)
    body_zh = models.TextField(_("body (Chinese, Markdown)"))
    body_en = models.TextField(_("body (English, Markdown)"), blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("editor"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ("article", "-number")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleImage(models.Model):
    """A picture shown inside an article's Markdown, served at `get_absolute_url()`.

    The re-encoded bytes live in the database rather than on disk: an upload is then stored in the
    same transaction as its row (a failure leaves nothing behind) and the nightly pg_dump backs it up.
    Images are capped in bytes and width, so rows stay small.
    """

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="images")
    name = models.CharField(_("file name"), max_length=120)
    alt = models.CharField(_("description (alt text)"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=30, editable=False)
    data = models.BinaryField(_("image data"), editable=False)
    width = models.PositiveIntegerField(_("width"), editable=False)
    height = models.PositiveIntegerField(_("height"), editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    # Name and alt text can change in admin; the bytes never do, so the history leaves them out.
    history = HistoricalRecords(excluded_fields=["data"])

    class Meta:
        verbose_name = _("article image")
        verbose_name_plural = _("article images")
        ordering = ("article", "pk")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("help:image", kwargs={"pk": self.pk, "name": self.name})

    @property
    def markdown(self) -> str:
        """What an editor pastes into the body to show this image."""
        alt = self.alt.replace("[", "").replace("]", "")
        return f"![{alt}]({self.get_absolute_url()})"


class ArticleFeedback(models.Model):
    """One reader's "was this helpful?"; written once, never edited, so no history table."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class Synonym(models.Model):
    """A group of words customers use for the same thing; a search for one finds all of them."""

    terms = ArrayField(models.CharField(max_length=30), verbose_name=_("terms"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")
        indexes = [GinIndex(fields=["terms"], name="knowledge_synonym_terms")]

    def __str__(self) -> str:
        return " / ".join(self.terms)


class ReviewTask(models.Model):
    class Reason(models.TextChoices):
        EXPIRED = "expired", _("Article expired")
        POLICY_CHANGED = "policy_changed", _("Linked policy changed")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="review_tasks"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    source = models.ForeignKey(
        Article, verbose_name=_("changed policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")
        ordering = ("-created_at",)
        indexes = [
            # The editor's list and the desk badge read only open tasks.
            models.Index(fields=["created_at"], name="knowledge_review_task_open", condition=Q(status="open")),
        ]
        constraints = [
            # One open task per article and reason: a policy edited twice does not queue two reviews.
            models.UniqueConstraint(
                fields=["article", "reason"], condition=Q(status="open"), name="knowledge_review_task_open_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article} · {self.get_reason_display()}"


class UnansweredQuestion(models.Model):
    """A question the bot could not answer confidently: the input of the nightly FAQ drafts."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        DRAFTED = "drafted", _("Drafted into an FAQ")
        DISMISSED = "dismissed", _("Dismissed")

    class Source(models.TextChoices):
        BOT = "bot", _("Bot question")
        TICKET = "ticket", _("Ticket subject")

    text = models.CharField(_("question"), max_length=500)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.BOT)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL
    )
    confidence = models.FloatField(_("confidence"), default=0)
    best_article = models.ForeignKey(
        Article, verbose_name=_("best match"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    draft = models.ForeignKey(
        Article, verbose_name=_("draft FAQ"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unanswered question")
        verbose_name_plural = _("unanswered questions")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["status", "created_at"], name="knowledge_unanswered_new")]

    def __str__(self) -> str:
        return self.text


class KnowledgeEvent(models.Model):
    """One thing a reader did with the knowledge base, recorded where it happens, for the knowledge analytics
    in /reports/knowledge/: a bot answer (confident or not), a help-centre search (with or without a result)
    and an article view. Append-only, never edited."""

    class Kind(models.TextChoices):
        BOT_ANSWERED = "bot_answered", _("Bot answered confidently")
        BOT_UNSURE = "bot_unsure", _("Bot was unsure")
        SEARCH = "search", _("Search with results")
        SEARCH_EMPTY = "search_empty", _("Search without a result")
        VIEW = "view", _("Article view")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    article = models.ForeignKey(
        Article, verbose_name=_("article"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(_("question or search"), max_length=300, blank=True)
    confidence = models.FloatField(_("confidence"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("knowledge event")
        verbose_name_plural = _("knowledge events")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["kind", "created_at"], name="knowledge_event_kind_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
