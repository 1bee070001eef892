"""QA pages: the review queue with sampling, scoring and appeal answers (QA and supervisors), and the
agent's own scores with the appeal (every desk user, their own reviews only)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.api import ApplicationError
from core.forms import add_refusal
from quality import selectors, services
from quality.forms import AppealForm, ResolveAppealForm, SampleForm, ScoreForm
from quality.models import Review

SCORE_PERMISSION = "quality.score_review"


def _queue_page(request: HttpRequest, form: SampleForm, *, status: int = 200) -> HttpResponse:
    return render(request, "quality/queue.html", {
        "form": form, "reviews": selectors.review_queue(), "counts": selectors.queue_counts(),
    }, status=status)


@login_required
@permission_required(SCORE_PERMISSION, raise_exception=True)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request, SampleForm(scorecards=selectors.active_scorecards()))


@login_required
@permission_required(SCORE_PERMISSION, raise_exception=True)
@require_POST
def sample(request: HttpRequest) -> HttpResponse:
    form = SampleForm(request.POST, scorecards=selectors.active_scorecards())
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.review_sample(scorecard=data["scorecard"], start=data["start"], end=data["end"],
                                            share_percent=data["share_percent"], actor=request.user)
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _(
                "%(total)s conversations queued: %(escalated)s escalated, %(low)s with low satisfaction, "
                "%(random)s at random.") % {"total": result.total, "escalated": result.escalated,
                                            "low": result.low_satisfaction, "random": result.random})
            return HttpResponseRedirect(reverse("quality:queue"))
    return _queue_page(request, form, status=400)


def _review_page(request: HttpRequest, review_id: int, *, score_form: ScoreForm | None = None,
                 resolve_form: ResolveAppealForm | None = None, status: int = 200) -> HttpResponse:
    review, criteria, transcript = selectors.review_detail(review_id)
    context: dict[str, Any] = {
        "review": review, "criteria": criteria, "transcript": transcript,
        "history": selectors.review_history(review),
    }
    if review.status == Review.Status.PENDING:
        context["score_form"] = score_form or ScoreForm(criteria=criteria)
    if review.status == Review.Status.APPEALED:
        context["resolve_form"] = resolve_form or ResolveAppealForm()
    return render(request, "quality/review.html", context, status=status)


@login_required
@permission_required(SCORE_PERMISSION, raise_exception=True)
def review(request: HttpRequest, review_id: int) -> HttpResponse:
    if request.method != "POST":
        return _review_page(request, review_id)
    _review, criteria, _transcript = selectors.review_detail(review_id)
    form = ScoreForm(request.POST, criteria=criteria)
    if form.is_valid():
        try:
            services.review_score(review_id=review_id, reviewer=request.user, points=form.points(),
                                  comment=form.cleaned_data["comment"])
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Score saved."))
            return HttpResponseRedirect(reverse("quality:review", args=[review_id]))
    return _review_page(request, review_id, score_form=form, status=400)


@login_required
@permission_required(SCORE_PERMISSION, raise_exception=True)
@require_POST
def resolve(request: HttpRequest, review_id: int) -> HttpResponse:
    form = ResolveAppealForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.review_resolve_appeal(review_id=review_id, reviewer=request.user,
                                           upheld=data["decision"] == "upheld", response=data["response"],
                                           adjusted_score=data["adjusted_score"])
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Appeal answered."))
            return HttpResponseRedirect(reverse("quality:review", args=[review_id]))
    return _review_page(request, review_id, resolve_form=form, status=400)


def _mine_page(request: HttpRequest, *, form: AppealForm | None = None, appealing: int | None = None,
               status: int = 200) -> HttpResponse:
    return render(request, "quality/mine.html", {
        "reviews": selectors.reviews_of_agent(request.user), "form": form, "blank_form": AppealForm(),
        "appealing": appealing,
    }, status=status)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return _mine_page(request)


@login_required
@permission_required("profiles.use_desk", raise_exception=True)
@require_POST
def appeal(request: HttpRequest, review_id: int) -> HttpResponse:
    selectors.review_of_agent(request.user, review_id)  # 404 for someone else's review
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.review_appeal(review_id=review_id, agent=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Appeal sent to QA."))
            return HttpResponseRedirect(reverse("quality:mine"))
    return _mine_page(request, form=form, appealing=review_id, status=400)
