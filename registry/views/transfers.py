"""Transfers between villages: send, ask for a file, the list, and the decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import Perm, has_perm, require
from core.pagination import paginate
from core.scoping import get_for_user_or_404
from regions.models import Level
from registry import selectors, services
from registry.forms import (
    TransferDecisionForm,
    TransferForm,
    TransferRequestForm,
)
from registry.models import Child, ChildTransfer
from registry.views.common import user_of


@require_POST
@require(Perm.EDIT_CHILDREN)
def transfer_send(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    child = get_for_user_or_404(Child, user, pk=pk)
    form = TransferForm(request.POST, villages=selectors.county_villages(child.region_code))
    if form.is_valid():
        try:
            services.transfer_send(
                actor=user, child=child, to_village=form.cleaned_data["to_village"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The transfer has been sent; the receiving village will accept it."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("child_detail", pk=child.pk)


@require(Perm.EDIT_CHILDREN)
def transfer_request(request: HttpRequest) -> HttpResponse:
    """Ask the township that holds a file for it, by the child's ID number.

    The registration form's "ask for the transfer" box posts here too; a request that cannot be
    sent comes back on this page with what was typed, the reason at its field.
    """
    user = user_of(request)
    villages = selectors.villages_for(user)
    if request.method == "POST":
        form = TransferRequestForm(request.POST, villages=villages)
        if form.is_valid():
            try:
                transfer = services.transfer_request(
                    actor=user,
                    id_number=form.cleaned_data["id_number"],
                    to_village=form.cleaned_data["to_village"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Your request has been sent to the township that holds the file."))
                return redirect("transfer_detail", pk=transfer.pk)
    else:
        form = TransferRequestForm(
            villages=villages, initial={"to_village": villages[0]} if villages.count() == 1 else None
        )
    # Asked before, and still waiting: the page links to that transfer rather than ask again.
    pending = selectors.pending_transfer_for(user, form.cleaned_data.get("id_number", "")) if form.errors else None
    return render(request, "registry/transfer_request.html", {"form": form, "pending": pending})


ASKING_LEVELS = {Level.VILLAGE, Level.TOWNSHIP}


@require(Perm.VIEW_CHILDREN)
def transfer_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    transfers = ChildTransfer.objects.for_user(user).select_related("child", "to_village")
    page = paginate(request, transfers)
    jurisdiction = user.jurisdiction
    # Asking another township for a file is for a village or township; the county holds them all.
    can_ask = has_perm(user, Perm.EDIT_CHILDREN) and jurisdiction is not None and jurisdiction.level in ASKING_LEVELS
    return render(
        request,
        "registry/transfer_list.html",
        {"page": page, "rows": selectors.transfers_shown(user, list(page)), "can_ask": can_ask},
    )


@require(Perm.VIEW_CHILDREN)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    transfer = get_for_user_or_404(
        ChildTransfer.objects.select_related("child", "to_village", "decided_by", "requested_by__organisation"),
        user,
        pk=pk,
    )
    form = TransferDecisionForm(request.POST or None)
    # Withdrawing (the side that started it) and acknowledging a decision take no form.
    simple = {
        "withdraw": (services.transfer_withdraw, _("The transfer has been withdrawn.")),
        "acknowledge": (services.transfer_acknowledge, _("The to-do item is closed.")),
    }
    if request.method == "POST" and request.POST.get("decision") in simple:
        action, done = simple[request.POST["decision"]]
        try:
            action(actor=user, transfer=transfer)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
        return redirect("transfer_detail", pk=transfer.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_decide(
                actor=user,
                transfer=transfer,
                accept=request.POST.get("decision") == "accept",
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your decision has been recorded."))
            return redirect("transfer_detail", pk=transfer.pk)
    return render(
        request,
        "registry/transfer_detail.html",
        {
            "transfer": transfer,
            "shown": selectors.transfers_shown(user, [transfer])[0],
            "form": form,
            "can_decide": services.can_decide(user, transfer),
            "can_withdraw": services.can_withdraw(user, transfer),
            "can_acknowledge": services.has_decision_to_acknowledge(user, transfer),
        },
    )
