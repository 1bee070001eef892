"""Report pages: thin views that validate the filter, call a selector and render (charts read their
data from json_script blocks through static/reports/charts.js, as the CSP forbids inline scripts)."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from profiles.audit import client_ip
from reports import exports, kpis, schedules, selectors
from reports.builder import ReportSpec, build
from reports.figures import Grain
from reports.forms import DEFAULT_RANGE_DAYS, BuilderForm, ExportForm, RangeForm, SaveReportForm, TrendForm
from reports.rollups import local_today

View = Callable[..., HttpResponseBase]


def report_page(view: View) -> View:
    return login_required(permission_required("profiles.view_reports", raise_exception=True)(view))


@report_page
def reports_home(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/home.html", {"headline": selectors.headline()})


@report_page
def live_board(request: HttpRequest) -> HttpResponse:
    # htmx polls the same address for the panel alone, so the board refreshes without a page load.
    template = "reports/_live_panel.html" if request.headers.get("HX-Request") else "reports/live.html"
    return render(request, template, {"board": selectors.live_board()})


@report_page
def agent_kpis(request: HttpRequest) -> HttpResponse:
    form = RangeForm.from_query(request.GET)
    rows = kpis.agent_kpis(first=form.cleaned_data["date_from"], last=form.cleaned_data["date_to"]) \
        if form.is_valid() else []
    return render(request, "reports/agents.html", {"form": form, "columns": kpis.KPI_COLUMNS, "rows": rows})


def _line_chart(labels: list[str], datasets: list[dict[str, Any]], kind: str = "line") -> dict[str, Any]:
    return {"type": kind, "labels": labels, "datasets": datasets}


@report_page
def trends(request: HttpRequest) -> HttpResponse:
    form = TrendForm.from_query(request.GET)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        data = selectors.trends(first=form.cleaned_data["date_from"], last=form.cleaned_data["date_to"],
                                grain=Grain(form.cleaned_data["grain"]), by=form.cleaned_data["group"])
        labels = [period.isoformat() for period in data.periods]
        context.update(
            trends=data,
            created_chart=_line_chart(labels, [{"label": s.label, "data": s.created} for s in data.series], "bar"),
            response_chart=_line_chart(labels, [{"label": s.label, "data": s.first_response_minutes}
                                                for s in data.series]),
        )
    return render(request, "reports/trends.html", context)


@report_page
def aftersales(request: HttpRequest) -> HttpResponse:
    form = RangeForm.from_query(request.GET)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        figures = selectors.aftersales_figures(first=form.cleaned_data["date_from"],
                                               last=form.cleaned_data["date_to"])
        titles = {"reason": _("By reason"), "merchant": _("By merchant"), "product_line": _("By product line"),
                  "courier": _("By delivering courier")}
        context["sections"] = [
            {"key": key, "title": titles[key], "rows": rows, "chart_id": f"aftersales-{key}-chart",
             "chart": _line_chart([row.label for row in rows[:10]], [
                 {"label": _("Requests"), "data": [row.requests for row in rows[:10]]},
                 {"label": _("Refunds"), "data": [row.refunds for row in rows[:10]]},
             ], "bar")}
            for key, rows in figures.items()
        ]
    return render(request, "reports/aftersales.html", context)


@report_page
def export_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ExportForm(request.POST)
        if form.is_valid():
            exports.export_request(user=request.user, dataset=form.cleaned_data["dataset"],
                                   file_format=form.cleaned_data["file_format"],
                                   date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"],
                                   ip_address=client_ip(request))
            return redirect("reports:exports")
    else:
        form = ExportForm.from_query(request.GET)
    return render(request, "reports/exports.html", {"form": form, "jobs": selectors.exports_for(request.user)})


@report_page
def export_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """One job's row, polled by htmx while it runs (someone else's job is a 404)."""
    return render(request, "reports/_export_row.html", {"job": selectors.export_for_owner(request.user, job_id)})


@report_page
def export_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = selectors.export_for_owner(request.user, job_id)
    if not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=Path(job.file.name or "").name)


def _builder_query(request: HttpRequest, saved: Any) -> Any:
    """The query string, or on first opening a saved report its spec over the default range."""
    if saved is None or request.GET:
        return request.GET
    today = local_today()
    return {**ReportSpec(**saved.spec).as_json(), "date_to": today.isoformat(),
            "date_from": (today - timedelta(days=DEFAULT_RANGE_DAYS - 1)).isoformat()}


@report_page
def report_builder(request: HttpRequest, report_id: int | None = None) -> HttpResponse:
    saved = schedules.report_for(request.user, report_id) if report_id is not None else None
    save_form = SaveReportForm(request.POST if request.method == "POST" else None)
    form = BuilderForm(request.POST) if request.method == "POST" else BuilderForm.from_query(
        _builder_query(request, saved))
    if request.method == "POST" and form.is_valid() and save_form.is_valid():
        report = schedules.report_save(owner=request.user, name=save_form.cleaned_data["name"], spec=form.spec(),
                                       shared=save_form.cleaned_data["shared"],
                                       frequency=save_form.cleaned_data["frequency"])
        return redirect("reports:saved_report", report_id=report.pk)
    context: dict[str, Any] = {"form": form, "save_form": save_form, "saved": saved,
                               "saved_reports": list(schedules.reports_visible_to(request.user))}
    if form.is_valid():
        built = build(form.spec(), first=form.cleaned_data["date_from"], last=form.cleaned_data["date_to"])
        context["built"] = built
        if built.columns:
            _key, measure = built.columns[0]
            context["chart"] = _line_chart([label for label, _values in built.rows],
                                           [{"label": str(measure.label),
                                             "data": [values[0][1] for _label, values in built.rows]}], "bar")
        spec = form.spec()
        # The save form carries the shown report along, so "save" keeps exactly what is on screen.
        context["hidden"] = [("source", spec.source), ("dimension", spec.dimension), ("grain", spec.grain),
                             ("date_from", form.cleaned_data["date_from"].isoformat()),
                             ("date_to", form.cleaned_data["date_to"].isoformat()),
                             *(("measures", key) for key in spec.measures)]
    return render(request, "reports/builder.html", context)
