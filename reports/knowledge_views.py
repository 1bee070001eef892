"""Knowledge analytics pages (thin: validate, call a selector or service, render)."""

import csv
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from knowledge import drafts
from knowledge.workflow import EDIT_PERMISSION
from profiles.models import User
from reports import knowledge_selectors
from reports.forms import RangeForm
from reports.knowledge_forms import DraftFaqForm
from reports.views import report_page

CSV_COLUMNS = (
    gettext_lazy("Date"), gettext_lazy("Bot questions"), gettext_lazy("Answered confidently"),
    gettext_lazy("Deflected"), gettext_lazy("Deflection rate"), gettext_lazy("Searches"),
    gettext_lazy("Searches without a result"), gettext_lazy("Article views"), gettext_lazy("Helpful"),
    gettext_lazy("Not helpful"),
)


def _chart(labels: list[str], datasets: list[dict[str, Any]], kind: str = "line") -> dict[str, Any]:
    return {"type": kind, "labels": labels, "datasets": datasets}


@report_page
def knowledge(request: HttpRequest) -> HttpResponse:
    form = RangeForm.from_query(request.GET)
    context: dict[str, Any] = {"form": form, "can_draft": request.user.has_perm(EDIT_PERMISSION)}
    if form.is_valid():
        first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        figures = knowledge_selectors.knowledge_figures(first=first, last=last)
        labels = [day.day.isoformat() for day in figures.days]
        context.update(
            figures=figures,
            clusters=knowledge_selectors.question_clusters(first=first, last=last),
            bot_chart=_chart(labels, [
                {"label": _("Bot questions"), "data": [day.bot_questions for day in figures.days]},
                {"label": _("Answered confidently"), "data": [day.bot_answered for day in figures.days]},
                {"label": _("Deflected"), "data": [day.deflected for day in figures.days]},
            ]),
            search_chart=_chart(labels, [
                {"label": _("Searches"), "data": [day.searches for day in figures.days]},
                {"label": _("Searches without a result"), "data": [day.empty_searches for day in figures.days]},
                {"label": _("Article views"), "data": [day.views for day in figures.days]},
            ]),
        )
    return render(request, "reports/knowledge.html", context)


@report_page
def knowledge_csv(request: HttpRequest) -> HttpResponse:
    """The daily figures of the range as CSV, written at once: at most 366 rows, no background job needed."""
    form = RangeForm.from_query(request.GET)
    if not form.is_valid():
        return render(request, "reports/knowledge.html", {"form": form}, status=400)
    first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    figures = knowledge_selectors.knowledge_figures(first=first, last=last)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="knowledge-{first.isoformat()}-{last.isoformat()}.csv"'
    response.write("\ufeff")  # Excel opens a CSV with a byte-order mark as UTF-8
    writer = csv.writer(response)
    writer.writerow([str(label) for label in CSV_COLUMNS])
    for day in figures.days:
        rate = day.deflection_rate
        writer.writerow([day.day.isoformat(), day.bot_questions, day.bot_answered, day.deflected,
                         "" if rate is None else f"{rate:.4f}", day.searches, day.empty_searches, day.views,
                         day.helpful_yes, day.helpful_no])
    return response


@require_POST
@report_page
@permission_required(EDIT_PERMISSION, raise_exception=True)
def knowledge_draft(request: HttpRequest) -> HttpResponse:
    """Draft one FAQ from a cluster of unanswered questions and open it in the editor."""
    form = DraftFaqForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.get("questions", [])))
        return redirect("reports:knowledge")
    article = drafts.draft_faq(question_ids=form.as_ids(), author=cast(User, request.user))
    if article is None:
        messages.warning(request, _("These questions were already drafted or dismissed."))
        return redirect("reports:knowledge")
    messages.success(request, _("Draft FAQ created from %(count)d questions. Write the answer and send it for "
                                "review.") % {"count": article.question_zh.count("\n") + 1})
    return redirect("help:editor_edit", slug=article.slug)
