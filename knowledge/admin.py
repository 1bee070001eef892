"""Knowledge-base admin: articles saved through the services (versions, index, review tasks), the workflow
as admin actions, a live Markdown preview, version diffs, synonyms, review tasks and unanswered questions."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.workflow import TransitionNotAllowed
from knowledge import drafts, services
from knowledge.forms import ArticleImageAdminForm
from knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleImage,
    ArticleVersion,
    Category,
    ReviewTask,
    Synonym,
    UnansweredQuestion,
)
from knowledge.search import parse_query
from knowledge.workflow import ACTION_LABELS, WORKFLOW, Action, target_of


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ("name_zh", "name_en", "parent", "slug", "position")
    list_select_related = ("parent",)
    prepopulated_fields = {"slug": ("name_en",)}


class ArticleVersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ("number", "editor", "created_at", "diff")
    readonly_fields = fields
    ordering = ("-number",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArticleVersion]:
        return super().get_queryset(request).select_related("editor")

    @admin.display(description=_("changes"))
    def diff(self, version: ArticleVersion) -> str:
        # One query for all of the article's versions, not one per row (inline instances live for one request).
        if getattr(self, "_versions_of", None) != version.article_id:
            self._versions_of = version.article_id
            self._versions = {v.number: v for v in ArticleVersion.objects.filter(article_id=version.article_id)}
        previous = max((n for n in self._versions if n < version.number), default=None)
        diff = services.version_diff(self._versions.get(previous) if previous else None, version)
        return format_html('<pre style="white-space:pre-wrap;max-width:60em">{}</pre>', diff)


class ArticleImageFormSet(BaseInlineFormSet):
    uploaded_by: Any = None  # set per request by ArticleImageInline.get_formset

    def save_new(self, form: ModelForm, commit: bool = True) -> ArticleImage:
        # New images go through the service like the editor's uploads; the form already re-encoded the file.
        return services.article_image_add(
            article=self.instance, image=form.cleaned_data["upload"], alt=form.cleaned_data.get("alt", ""),
            uploaded_by=self.uploaded_by,
        )


class ArticleImageInline(admin.TabularInline):
    model = ArticleImage
    form = ArticleImageAdminForm
    formset = ArticleImageFormSet
    extra = 1
    fields = ("thumbnail", "upload", "alt", "snippet", "width", "height", "size")
    readonly_fields = ("thumbnail", "snippet", "width", "height", "size")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ArticleImage]:
        return super().get_queryset(request).defer("data")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.uploaded_by = request.user
        return formset

    @admin.display(description=_("image"))
    def thumbnail(self, image: ArticleImage) -> str:
        if image.pk is None:
            return ""
        return format_html('<img src="{}" alt="{}" class="kb-admin-thumb">', image.get_absolute_url(), image.alt)

    @admin.display(description=_("Markdown to paste into the body"))
    def snippet(self, image: ArticleImage) -> str:
        return format_html("<code>{}</code>", image.markdown) if image.pk else ""


def _transition_action(action: Action) -> Any:
    def run(modeladmin: "ArticleAdmin", request: HttpRequest, queryset: QuerySet[Article]) -> None:
        done = 0
        for article in queryset.order_by("pk"):
            try:
                WORKFLOW.transition(article, to=target_of(action, article), actor=request.user)
            except TransitionNotAllowed as error:
                modeladmin.message_user(request, f"{article}: {error}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, _("%(count)d article(s) updated.") % {"count": done}, messages.SUCCESS)

    run.__name__ = f"workflow_{action}"
    return admin.action(description=ACTION_LABELS[action])(run)


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ("title_zh", "category", "kind", "audience", "status", "view_count", "helpful_yes", "helpful_no",
                    "updated_at")
    list_filter = ("status", "kind", "audience", "category")
    list_select_related = ("category",)
    search_fields = ("title_zh",)
    prepopulated_fields = {"slug": ("title_en",)}
    filter_horizontal = ("related",)
    readonly_fields = ("status", "author", "reviewer", "published_at", "view_count", "click_count", "helpful_yes",
                       "helpful_no")
    fieldsets = (
        (None, {"fields": ("category", "slug", "kind", "audience", "tags", "related")}),
        (_("Chinese"), {"fields": ("title_zh", "question_zh", "body_zh")}),
        (_("English"), {"fields": ("title_en", "question_en", "body_en")}),
        (_("Publishing"), {"fields": ("status", "publish_at", "expires_at", "author", "reviewer", "published_at")}),
        (_("Readers"), {"fields": ("view_count", "click_count", "helpful_yes", "helpful_no")}),
    )
    inlines = (ArticleImageInline, ArticleVersionInline)
    actions = [_transition_action(action) for action in ACTION_LABELS]

    class Media:
        js = ("knowledge/preview.js",)
        css = {"all": ("knowledge/help.css",)}

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Article], search_term: str) -> Any:
        # Full-text over the stored vector (every status), never icontains over the bodies.
        parsed = parse_query(search_term)
        if not parsed.groups:
            return queryset, False
        from django.contrib.postgres.search import SearchQuery

        return queryset.filter(search_vector=SearchQuery(parsed.tsquery(), search_type="raw", config="simple")), False

    def save_model(self, request: HttpRequest, obj: Article, form: ModelForm, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in form.cleaned_data}
        if change:
            services.article_update(article=obj, editor=request.user, **fields)  # type: ignore[arg-type]
            return
        required = {name: fields.pop(name) for name in ("category", "slug", "title_zh", "body_zh")}
        article = services.article_create(author=request.user, **required, **fields)  # type: ignore[arg-type]
        # The admin goes on to save the M2M fields and log the addition on this same instance.
        obj.pk, obj.author = article.pk, article.author
        obj._state.adding = False


@admin.register(Synonym)
class SynonymAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "note", "is_active")
    list_filter = ("is_active",)


@admin.register(ReviewTask)
class ReviewTaskAdmin(SimpleHistoryAdmin):
    list_display = ("article", "reason", "source", "status", "created_at", "resolved_by")
    list_filter = ("status", "reason")
    list_select_related = ("article", "source", "resolved_by")
    readonly_fields = ("article", "reason", "source", "status", "created_at", "resolved_at", "resolved_by")
    actions = ["mark_done"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Mark as reviewed"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[ReviewTask]) -> None:
        for task in queryset.order_by("pk"):
            services.review_task_resolve(task=task, user=request.user)  # type: ignore[arg-type]


@admin.register(UnansweredQuestion)
class UnansweredQuestionAdmin(SimpleHistoryAdmin):
    list_display = ("text", "source", "confidence", "best_article", "status", "draft", "created_at")
    list_filter = ("status", "source")
    list_select_related = ("best_article", "draft")
    readonly_fields = ("text", "source", "customer", "confidence", "best_article", "draft", "created_at")
    actions = ["draft_faqs"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Draft FAQs from all new questions now"))
    def draft_faqs(self, request: HttpRequest, queryset: QuerySet[UnansweredQuestion]) -> None:
        created = drafts.draft_faqs_from_questions()
        self.message_user(request, _("%(count)d draft FAQ(s) created.") % {"count": len(created)})


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ("article", "helpful", "comment", "user", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("article", "user")
    readonly_fields = ("article", "helpful", "comment", "user", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
