"""Article editing for agents and editors outside the admin: a list with the open review tasks, a form with
live preview, image uploads, workflow buttons.

Linked from the workbench (/desk/) for people holding `knowledge.change_article`. Reads go through
`knowledge.selectors`, writes through `knowledge.services` and `knowledge.workflow`.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from core.workflow import TransitionNotAllowed
from knowledge import selectors, services
from knowledge.forms import ImageUploadForm
from knowledge.models import Article
from knowledge.workflow import (
    ACTION_LABELS,
    EDIT_PERMISSION,
    WORKFLOW,
    Action,
    available_actions,
    target_of,
)


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
    return render(request, "knowledge/editor_list.html", {
        "review_tasks": selectors.open_review_tasks(),
        "articles": selectors.articles_for_editor(),
    })


@login_required
@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def editor_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    article = selectors.article_for_editor(slug) if slug else None
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
    return _render_edit(request, article, form)


def _render_edit(
    request: HttpRequest, article: Article | None, form: ArticleForm, image_form: ImageUploadForm | None = None
) -> HttpResponse:
    actions = available_actions(article, request.user) if article else []
    context: dict[str, object] = {
        "form": form, "article": article, "actions": [(action, ACTION_LABELS[action]) for action in actions],
    }
    if article is not None:
        context.update(_images_context(article, image_form or ImageUploadForm()))
    return render(request, "knowledge/editor_edit.html", context,
                  status=400 if form.errors or (image_form and image_form.errors) else 200)


def _images_context(article: Article, form: ImageUploadForm, added: int | None = None) -> dict[str, object]:
    return {"article": article, "images": selectors.article_images(article), "image_form": form, "added": added}


@login_required
@require_POST
def editor_transition(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.has_perm(EDIT_PERMISSION):
        raise PermissionDenied
    article = selectors.article_for_editor(slug)
    if article is None:
        raise Http404
    try:
        action = Action(request.POST.get("action", ""))
        if action not in ACTION_LABELS:
            raise ValueError(action)
        WORKFLOW.transition(article, to=target_of(action, article), actor=request.user)
    except ValueError:
        messages.error(request, _("Unknown step."))
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": ACTION_LABELS[action]})
    return redirect("help:editor_edit", slug=article.slug)


@login_required
@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def editor_image_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Store a checked image and answer with the images panel, the new image's Markdown ready to insert.

    htmx swaps the panel in place (a 400 with the form's errors too); without htmx the page reloads.
    """
    article = selectors.article_for_editor(slug)
    if article is None:
        raise Http404
    form = ImageUploadForm(request.POST, request.FILES)
    htmx = bool(request.headers.get("HX-Request"))
    if not form.is_valid():
        if htmx:
            return render(request, "knowledge/_editor_images.html", _images_context(article, form), status=400)
        return _render_edit(request, article, ArticleForm(instance=article), image_form=form)
    image = services.article_image_add(
        article=article, image=form.cleaned_data["image"], alt=form.cleaned_data["alt"],
        uploaded_by=request.user,  # type: ignore[arg-type]
    )
    if htmx:
        return render(request, "knowledge/_editor_images.html",
                      _images_context(article, ImageUploadForm(), added=image.pk))
    messages.success(request, _("Image uploaded. Paste its Markdown into the body: %(markdown)s")
                     % {"markdown": image.markdown})
    return redirect("help:editor_edit", slug=article.slug)


@login_required
@permission_required(EDIT_PERMISSION, raise_exception=True)
@require_POST
def review_task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.open_review_task(pk)
    if task is None:
        # Already done by someone else, or never existed: nothing left to do either way.
        messages.info(request, _("That review task is already closed."))
    else:
        services.review_task_resolve(task=task, user=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Review task closed."))
    return redirect("help:editor")
