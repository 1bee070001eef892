"""The help center: start page, search with instant suggestions, categories, articles and feedback."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.segmentation import MAX_QUERY_CHARS
from knowledge import recommend, selectors, services
from knowledge.forms import FeedbackForm
from knowledge.models import Article
from knowledge.rendering import MarkdownRefused, render_markdown
from knowledge.search import search_articles
from knowledge.workflow import EDIT_PERMISSION
from profiles.models import User
from profiles.roles import Role
from profiles.selectors import user_has_role

SEARCH_RESULTS = 20
SUGGESTIONS = 6
VOTED_SESSION_KEY = "knowledge_voted"
# An article taken offline stops showing its images to others within this many seconds.
IMAGE_MAX_AGE = 600


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_QUERY_CHARS]


def _chat_url() -> str:
    # The chat app owns /help/chat/; until it is installed the link still goes to the right place.
    try:
        return reverse("chat:widget")
    except NoReverseMatch:
        return "/help/chat/"


def _customer_links(request: HttpRequest) -> dict[str, str]:
    """Chat and the contact form serve customers (a visitor signs in on the way); staff and merchants are
    refused there, so they are not offered them."""
    user = request.user
    if user.is_authenticated and (user.is_superuser or not user_has_role(user, Role.CUSTOMER)):
        return {"chat_url": "", "contact_url": ""}
    return {"chat_url": _chat_url(), "contact_url": _contact_url()}


def _contact_url() -> str:
    # The tickets app's contact form; the link is left out where that app does not provide it.
    try:
        return reverse("my_tickets:new")
    except NoReverseMatch:
        return ""


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    audience = selectors.audience_for(request.user)
    return render(request, "knowledge/help_home.html", {
        "query": _query(request),
        "categories": selectors.category_tree(audience),
        "top_questions": selectors.top_questions(audience),
        "agents_online": selectors.agents_online_count(),
        **_customer_links(request),
    })


def _reader(request: HttpRequest) -> User | None:
    return request.user if request.user.is_authenticated else None


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    hits = search_articles(
        query, audience=selectors.audience_for(request.user), language=get_language() or "zh-hans",
        limit=SEARCH_RESULTS,
    ) if query else []
    if query:
        services.search_record(query=query, results=len(hits), user=_reader(request))
    return render(request, "knowledge/search.html", {
        "query": query, "hits": hits, **_customer_links(request),
    })


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """The instant suggestions under the search box (an htmx fragment)."""
    query = _query(request)
    hits = search_articles(
        query, audience=selectors.audience_for(request.user), language=get_language() or "zh-hans",
        limit=SUGGESTIONS,
    ) if query else []
    return render(request, "knowledge/_suggestions.html", {"query": query, "hits": hits})


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.category_with_articles(slug, selectors.audience_for(request.user))
    if found is None:
        raise Http404
    category, articles = found
    return render(request, "knowledge/category.html", {"category": category, "articles": articles})


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    audience = selectors.audience_for(request.user)
    found = selectors.article_for_reader(slug, audience)
    if found is None:
        raise Http404
    services.article_record_view(article=found, from_search=request.GET.get("from") == "search",
                                 reader=_reader(request))
    voted = found.pk in request.session.get(VOTED_SESSION_KEY, [])
    return _article_page(request, found, FeedbackForm(), voted=voted, status=200)


def _article_page(
    request: HttpRequest, found: Article, form: FeedbackForm, *, voted: bool, status: int
) -> HttpResponse:
    return render(request, "knowledge/article.html", {
        "article": found,
        "body_html": found.body_html,
        "related": recommend.related_questions(found, audience=selectors.audience_for(request.user)),
        "form": form,
        "voted": voted,
        **_customer_links(request),
    }, status=status)


@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.article_for_reader(slug, selectors.audience_for(request.user))
    if found is None:
        raise Http404
    form = FeedbackForm(request.POST)
    voted: list[int] = request.session.get(VOTED_SESSION_KEY, [])
    status = 200
    if found.pk in voted:
        pass  # one vote per reader session; a second click changes nothing
    elif form.is_valid():
        services.feedback_submit(
            article=found, user=request.user if request.user.is_authenticated else None,
            helpful=form.cleaned_data["helpful"], comment=form.cleaned_data["comment"],
        )
        request.session[VOTED_SESSION_KEY] = [*voted, found.pk][-200:]
    else:
        status = 400
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/_feedback.html", {
            "article": found, "form": form, "voted": status == 200,
        }, status=status)
    if status == 200:
        messages.success(request, _("Thank you for your feedback."))
        return redirect("help:article", slug=found.slug)
    return _article_page(request, found, form, voted=False, status=400)


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Markdown → the sanitized HTML readers will see, for the editors' live preview."""
    if not request.user.has_perm(EDIT_PERMISSION):
        return HttpResponseForbidden()
    # The admin script posts `body`; the editor page's htmx posts the textarea by its own name.
    source = next((request.POST[name] for name in ("body", "body_zh", "body_en") if name in request.POST), "")
    try:
        return HttpResponse(render_markdown(source))
    except MarkdownRefused as refused:
        return HttpResponse(format_html('<p class="errornote">{}</p>', refused), status=400)


@require_GET
def article_image(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """An image as visible as its article; 404 (never 403) to anyone who may not read that article."""
    found = selectors.image_for_viewer(pk, name, request.user)
    if found is None:
        raise Http404
    image, public = found
    response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["Content-Disposition"] = f'inline; filename="{image.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    # Shared caches may keep public images; the rest stay in the reader's own browser.
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age={IMAGE_MAX_AGE}"
    return response
