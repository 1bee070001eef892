"""After-sales pages for customers (`/aftersales/`), merchant staff (`/merchant/`) and arbitrating agents."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales import actions, selectors
from aftersales.forms import ApplyForm, EvaluationForm, MessageForm, TrackingForm
from aftersales.models import AfterSalesRequest, Status
from aftersales.services import repairs, ticketing
from aftersales.services import requests as request_services
from aftersales.workflow import Actor
from core.api import ApplicationError
from profiles import selectors as profile_selectors

PAGE = 20
# Where each eligibility problem is shown on the apply form (None: above the form).
FORM_FIELDS = {"reason": "reason", "amount_fen": "amount", "quantity": "quantity", "images": "images",
               "package_opened": "package_opened", "request_type": "request_type"}


@login_required
def aftersales_home(request: HttpRequest) -> HttpResponse:
    customer = profile_selectors.customer_profile_for(request.user)
    context = {
        "customer": customer,
        "orders": list(selectors.orders_for_customer(request.user)[:PAGE]) if customer else [],
        "my_requests": list(selectors.requests_for_customer(request.user)[:PAGE]) if customer else [],
        "is_platform": selectors.is_platform(request.user),
        "notifications": selectors.notifications_for(request.user) if customer else [],
    }
    return render(request, "aftersales/home.html", context)


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_for_customer(request.user, order_id)
    open_by_item = {r.item_id: r for r in selectors.requests_for_customer(request.user).filter(order=order)
                    .exclude(status__in=[Status.CLOSED, Status.CANCELLED])}
    rows = [(item, open_by_item.get(item.pk)) for item in order.items.all()]
    return render(request, "aftersales/order_detail.html", {"order": order, "rows": rows})


@login_required
def apply(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.item_for_customer(request.user, item_id)
    grouped = selectors.reasons_by_type()
    reasons = [reason for group in grouped.values() for reason in group]
    form = ApplyForm(request.POST or None, request.FILES or None, item=item, reasons=reasons, language=get_language())
    if request.method == "POST" and form.is_valid():
        data = request_services.ApplicationData(
            item_id=item.pk, request_type=form.cleaned_data["request_type"], reason_code=form.reason_code,
            quantity=form.cleaned_data["quantity"], amount_fen=form.amount_fen,
            description=form.cleaned_data["description"], package_opened=form.cleaned_data["package_opened"],
        )
        try:
            created = request_services.request_create(customer=request.user,  # type: ignore[arg-type]
                                                      data=data, images=form.cleaned_data["images"])
        except ApplicationError as exc:
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(FORM_FIELDS.get(field), error)
        else:
            messages.success(request, _("Request %(number)s submitted.") % {"number": created.number})
            return redirect("aftersales:request", number=created.number)
    context = {
        "item": item, "order": item.order, "form": form, "refundable_fen": form.refund_cap_fen,
        "caps_by_quantity": form.caps_by_quantity,
        "reason_types": form.reason_types,
    }
    return render(request, "aftersales/apply.html", context, status=400 if form.errors else 200)


def _detail_context(request: HttpRequest, after_sales: AfterSalesRequest) -> dict[str, Any]:
    actors = selectors.actors_for(request.user, after_sales)
    refund = after_sales.refunds.all()[0] if after_sales.refunds.all() else None
    return {
        "req": after_sales,
        "events": after_sales.events.all(),
        "evidence": after_sales.evidence.all(),
        "refund": refund,
        "available": actions.available(after_sales, actors),
        "return_address": selectors.return_address_for(after_sales.store),
        "tracking_form": TrackingForm(),
        "couriers": TrackingForm().fields["courier"].choices,  # type: ignore[attr-defined]
        "is_customer": Actor.CUSTOMER in actors,
        "conversation": None,  # the ticket's messages: shown to the customer and the platform, not the store
    }


def _customer_page(request: HttpRequest, number: str, *, message_form: MessageForm | None = None,
                   status: int = 200) -> HttpResponse:
    after_sales = selectors.request_for_customer(request.user, number)
    context = _detail_context(request, after_sales)
    context["conversation"] = selectors.conversation(after_sales)
    context["message_form"] = message_form or MessageForm()
    context["available"] = [a for a in context["available"] if a.actor == Actor.CUSTOMER]
    context["action_url"] = "aftersales:request_action"
    if any(action.name == "book_visit" for action in context["available"]):
        context["repair_slots"] = list(repairs.open_slots(after_sales.store))
    evaluation = getattr(after_sales, "evaluation", None)
    context["evaluation"] = evaluation
    if after_sales.status == Status.CLOSED and evaluation is None:
        context["evaluation_form"] = EvaluationForm()
    return render(request, "aftersales/request_detail.html", context, status=status)


@login_required
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _customer_page(request, number)


@login_required
@require_POST
def request_message(request: HttpRequest, number: str) -> HttpResponse:
    """The customer writes to the desk; the message lands on the request's ticket."""
    after_sales = selectors.request_for_customer(request.user, number)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            ticketing.request_message_send(request=after_sales, user=request.user,  # type: ignore[arg-type]
                                           body=form.cleaned_data["body"])
        except ApplicationError as exc:
            for error in exc.fields.get("body", [exc.message]):
                form.add_error("body", error)
        else:
            messages.success(request, _("Message sent."))
            return redirect(f"{reverse('aftersales:request', args=[number])}#conversation")
    return _customer_page(request, number, message_form=form, status=400)


@login_required
@require_POST
def request_evaluate(request: HttpRequest, number: str) -> HttpResponse:
    after_sales = selectors.request_for_customer(request.user, number)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give 1 to 5 stars."))
        return redirect("aftersales:request", number=number)
    try:
        request_services.request_evaluate(request=after_sales, user=request.user,  # type: ignore[arg-type]
                                          **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("aftersales:request", number=number)


def _act(request: HttpRequest, after_sales: AfterSalesRequest, actor: Actor) -> None:
    try:
        actions.perform(after_sales, request.POST.get("action", ""), user=request.user, actors={actor},
                        data=request.POST.dict())
    except ApplicationError as exc:
        details = [error for errors in exc.fields.values() for error in errors
                   if exc.code != "invalid_transition" and error != exc.message]
        messages.error(request, " ".join([exc.message, *details]))
    else:
        messages.success(request, _("Done."))


@login_required
@require_POST
def request_action(request: HttpRequest, number: str) -> HttpResponse:
    _act(request, selectors.request_for_customer(request.user, number), Actor.CUSTOMER)
    return redirect("aftersales:request", number=number)


@login_required
def evidence_image(request: HttpRequest, evidence_id: int) -> HttpResponse:
    response = HttpResponse(selectors.evidence_image(request.user, evidence_id), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Merchant staff -------------------------------------------------------------------------------


def _keyset(request: HttpRequest) -> tuple[Any, ...] | None:
    """The queue's `after` cursor, checked: it comes back from the browser, so an impossible date or an id
    past bigint is a 400 naming it, not a database error."""
    cursor = request.GET.get("after", "")
    if not cursor:
        return None
    key = selectors.MERCHANT_QUEUE_KEYSET.decode(AfterSalesRequest, cursor)
    if key is None:
        raise BadRequest(_("The page cursor “after” is not valid; go back to the first page."))
    return key


@login_required
@permission_required("profiles.use_merchant_portal", raise_exception=True)
def merchant_home(request: HttpRequest) -> HttpResponse:
    stores = list(profile_selectors.stores_for_user(request.user))
    store_ids = [store.pk for store in stores]
    queue = selectors.merchant_queue(store_ids, after=_keyset(request), limit=PAGE)
    context = {
        "stores": stores,
        "queue": queue.rows,
        "next_after": queue.next_cursor or "",
        "waiting": selectors.merchant_open_without_deadline(store_ids, limit=PAGE),
    }
    return render(request, "aftersales/merchant_home.html", context)


@login_required
@permission_required("profiles.use_merchant_portal", raise_exception=True)
def merchant_store(request: HttpRequest, store_id: int) -> HttpResponse:
    store = profile_selectors.store_with_staff_for_user(request.user, store_id)
    return render(request, "aftersales/merchant_store.html", {"store": store})


@login_required
@permission_required("profiles.use_merchant_portal", raise_exception=True)
def merchant_request(request: HttpRequest, number: str) -> HttpResponse:
    after_sales = selectors.request_for_merchant(request.user, number)
    context = _detail_context(request, after_sales)
    context["available"] = [a for a in context["available"] if a.actor == Actor.MERCHANT]
    context["action_url"] = "merchant:request_action"
    return render(request, "aftersales/request_detail.html", context)


@login_required
@permission_required("profiles.use_merchant_portal", raise_exception=True)
@require_POST
def merchant_request_action(request: HttpRequest, number: str) -> HttpResponse:
    _act(request, selectors.request_for_merchant(request.user, number), Actor.MERCHANT)
    return redirect("merchant:request", number=number)


# --- Platform arbitration (agents and above) --------------------------------------------------------


def _require_platform(request: HttpRequest) -> None:
    if not selectors.is_platform(request.user):
        raise PermissionDenied


@login_required
def arbitration_queue(request: HttpRequest) -> HttpResponse:
    _require_platform(request)
    return render(request, "aftersales/arbitration.html", {"queue": selectors.arbitration_queue(request.user)})


@login_required
def arbitration_request(request: HttpRequest, number: str) -> HttpResponse:
    _require_platform(request)
    after_sales = selectors.request_for_platform(request.user, number)
    context = _detail_context(request, after_sales)
    context["available"] = [a for a in context["available"] if a.actor == Actor.PLATFORM]
    context["action_url"] = "aftersales:arbitration_action"
    context["conversation"] = selectors.conversation(after_sales)
    if after_sales.ticket is not None:
        context["ticket_url"] = reverse("desk_tickets:ticket", args=[after_sales.ticket.pk])
    return render(request, "aftersales/request_detail.html", context)


@login_required
@require_POST
def arbitration_action(request: HttpRequest, number: str) -> HttpResponse:
    _require_platform(request)
    _act(request, selectors.request_for_platform(request.user, number), Actor.PLATFORM)
    return redirect("aftersales:arbitration_request", number=number)
