"""Article editing for agents and editors outside the admin: a list, a form with live preview, workflow buttons.

Linked from the workbench (/desk/) for people holding `knowledge.change_article`.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from knowledge import services
from knowledge.models import Article
from knowledge.workflow import (
    ACTION_LABELS,
    EDIT_PERMISSION,
    Action,
    InvalidTransition,
    apply_transition,
    available_actions,
)

EDITOR_PAGE_SIZE = 50


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["category", "slug", "kind", "audience", "title_zh", "question_zh", "body_zh", "title_en",
                  "question_en", "body_en", "tags", "publish_at", "expires_at"]
        widgets = {
            "body_zh": forms.Textarea(attrs={"rows": 12}),
            "body_en": forms.Textarea(attrs={"rows": 8}),
            "question_zh": forms.Textarea(attrs={"rows": 3}),
            "question_en": forms.Textarea(attrs={"rows": 3}),
            "publish_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "expires_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


@login_required
@permission_required(EDIT_PERMISSION, raise_exception=True)
def editor_list(request: HttpRequest) -> HttpResponse:
    articles = list(
        Article.objects.select_related("category", "author")
        .only("slug", "title_zh", "status", "kind", "audience", "updated_at", "category__name_zh",
              "category__name_en", "author__username", "author__display_name")
        .order_by("-updated_at", "-pk")[:EDITOR_PAGE_SIZE]
    )
    return render(request, "knowledge/editor_list.html", {"articles": articles})


@login_required
@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def editor_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    article = Article.objects.select_related("category").filter(slug=slug).first() if slug else None
    if slug and article is None:
        raise Http404
    form = ArticleForm(request.POST or None, instance=article)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if article is None:
            required = {name: fields.pop(name) for name in ("category", "slug", "title_zh", "body_zh")}
            article = services.article_create(author=request.user, **required, **fields)  # type: ignore[arg-type]
        else:
            article = services.article_update(article=article, editor=request.user, **fields)  # type: ignore[arg-type]
        messages.success(request, _("Article saved."))
        return redirect("help:editor_edit", slug=article.slug)
    actions = available_actions(article, request.user) if article else []  # type: ignore[arg-type]
    return render(request, "knowledge/editor_edit.html", {
        "form": form, "article": article, "actions": [(action, ACTION_LABELS[action]) for action in actions],
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def editor_transition(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.has_perm(EDIT_PERMISSION):
        raise PermissionDenied
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        raise Http404
    try:
        action = Action(request.POST.get("action", ""))
        if action not in ACTION_LABELS:
            raise ValueError(action)
        apply_transition(article=article, action=action, actor=request.user)  # type: ignore[arg-type]
    except ValueError:
        messages.error(request, _("Unknown step."))
    except InvalidTransition as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": ACTION_LABELS[action]})
    return redirect("help:editor_edit", slug=article.slug)
