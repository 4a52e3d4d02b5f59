from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from census import selectors, services
from census.forms import CampaignForm, CancelForm, CountersignForm, ReopenForm, VillageReturnForm
from census.models import Campaign, TownshipCountersign, VillageReturn
from census.services import Step
from core.pagination import paginate
from core.scoping import get_for_user_or_404


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _apply_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's validation errors on the form, at the field where there is one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields else None
        shown = {str(m) for m in form.errors.get(target or "__all__", [])}
        fresh = [e for e in errors if not set(e.messages) <= shown]
        if fresh:
            form.add_error(target, fresh)


def _error_messages(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = paginate(request, selectors.campaigns_for(user))
    return render(
        request,
        "census/campaign_list.html",
        {"page": page, "rows": selectors.attach_progress(user, page), "can_open": services.may(user, Step.OPEN)},
    )


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not services.may(user, Step.OPEN):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, districts=selectors.districts_for(user))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_open(
                actor=user,
                name=form.cleaned_data["name"],
                district=form.cleaned_data["district"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The campaign is open; every village has a to-do item to certify its census."))
            missing = selectors.villages_without_committee(user, campaign)
            if missing:
                messages.warning(
                    request,
                    _("These villages have no committee in the system and got no to-do item: %(villages)s")
                    % {"villages": "、".join(missing)},
                )
            return redirect("campaign_detail", pk=campaign.pk)
    return render(request, "census/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = get_for_user_or_404(Campaign.objects.select_related("district_signed_by", "cancelled_by"), user, pk=pk)
    townships = selectors.townships_of(user, campaign)
    # A village director sees no township: their own village's return instead.
    returns = None if townships else list(selectors.returns_for(user, campaign))
    all_countersigned = bool(townships) and all(row.countersign.is_signed for row in townships)
    return render(
        request,
        "census/campaign_detail.html",
        {
            "campaign": campaign,
            "townships": townships,
            "returns": returns,
            "progress": selectors.attach_progress(user, [campaign])[0][1],
            "all_countersigned": all_countersigned,
            "can_sign": services.may(user, Step.SIGN) and not campaign.is_closed,
            "can_cancel": services.may(user, Step.CANCEL) and not campaign.is_closed,
            "cancel_form": CancelForm(),
        },
    )


@login_required
def township_progress(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    user = _user(request)
    countersign = get_for_user_or_404(
        TownshipCountersign.objects.select_related("campaign", "township", "signed_by"),
        user,
        campaign_id=pk,
        region_code=code,
    )
    campaign = countersign.campaign
    progress = selectors.township_progress(user, countersign)
    return render(
        request,
        "census/township_progress.html",
        {
            "campaign": campaign,
            "countersign": countersign,
            "progress": progress,
            "returns": selectors.returns_for(user, campaign, township=countersign.township),
            "can_countersign": services.may(user, Step.COUNTERSIGN)
            and not countersign.is_signed
            and not campaign.is_closed,
            "countersign_form": CountersignForm(),
        },
    )


def _get_return(request: HttpRequest, pk: int, code: str) -> VillageReturn:
    return get_for_user_or_404(
        VillageReturn.objects.select_related("campaign", "village", "township", "certified_by"),
        _user(request),
        campaign_id=pk,
        region_code=code,
    )


def _values(village_return: VillageReturn) -> dict[str, Any]:
    return {
        "households_visited": village_return.households_visited,
        "children_found": village_return.children_found,
        "left_behind_found": village_return.left_behind_found,
        "note": village_return.note,
    }


def _village_page(
    request: HttpRequest,
    village_return: VillageReturn,
    *,
    form: VillageReturnForm | None = None,
    reopen_form: ReopenForm | None = None,
) -> HttpResponse:
    user = _user(request)
    campaign = village_return.campaign
    countersign = selectors.countersign_of(user, village_return)
    is_open = not campaign.is_closed
    can_edit = services.may(user, Step.FILL) and is_open and campaign.has_started and not village_return.is_certified
    can_reopen = (
        services.may(user, Step.REOPEN)
        and is_open
        and village_return.is_certified
        and countersign is not None
        and not countersign.is_signed
    )
    # A page opened before the return was certified, the township countersigned or the district
    # closed the campaign posts to a form the fresh page no longer shows: say why at the top.
    for posted, shown in ((form, can_edit), (reopen_form, can_reopen)):
        if posted is not None and not shown:
            for message in posted.non_field_errors():
                messages.error(request, str(message))
    return render(
        request,
        "census/village_return.html",
        {
            "campaign": campaign,
            "village_return": village_return,
            "countersign": countersign,
            "form": form or VillageReturnForm(initial=_values(village_return)),
            "reopen_form": reopen_form or ReopenForm(),
            "can_edit": can_edit,
            "not_started_yet": services.may(user, Step.FILL) and is_open and not campaign.has_started,
            "can_certify": services.may(user, Step.CERTIFY)
            and is_open
            and campaign.has_started
            and village_return.is_filled
            and not village_return.is_certified,
            "can_reopen": can_reopen,
        },
    )


@login_required
def village_return(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    row = _get_return(request, pk, code)
    if request.method != "POST":
        return _village_page(request, row)
    form = VillageReturnForm(request.POST)
    if form.is_valid():
        try:
            services.village_return_save(
                actor=_user(request),
                village_return=row,
                households_visited=form.cleaned_data["households_visited"],
                children_found=form.cleaned_data["children_found"],
                left_behind_found=form.cleaned_data["left_behind_found"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("The return has been saved. Certify it when the census of the village is done.")
            )
            return redirect("village_return", pk=pk, code=code)
    elif not services.may(_user(request), Step.FILL):
        raise PermissionDenied
    return _village_page(request, row, form=form)


@require_POST
@login_required
def village_certify(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    row = _get_return(request, pk, code)
    if "households_visited" in request.POST:
        # Certifying from the return's own form: what is on the screen is saved first, so that
        # what gets certified is what the officer sees.
        form = VillageReturnForm(request.POST)
        if not form.is_valid():
            return _village_page(request, row, form=form)
        try:
            services.village_return_save(
                actor=_user(request),
                village_return=row,
                households_visited=form.cleaned_data["households_visited"],
                children_found=form.cleaned_data["children_found"],
                left_behind_found=form.cleaned_data["left_behind_found"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
            return _village_page(request, row, form=form)
        row.refresh_from_db()
    try:
        services.village_return_certify(actor=_user(request), village_return=row)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("Certified: no duplicates, no omissions. The township has been told."))
    return redirect("village_return", pk=pk, code=code)


@require_POST
@login_required
def village_reopen(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    row = _get_return(request, pk, code)
    reopen_form = ReopenForm(request.POST)
    reason = reopen_form.cleaned_data["reason"] if reopen_form.is_valid() else ""
    try:
        services.village_return_reopen(actor=_user(request), village_return=row, reason=reason)
    except ValidationError as exc:
        _apply_errors(reopen_form, exc)
        return _village_page(request, row, reopen_form=reopen_form)
    messages.success(request, _("The return has been sent back to the village with your reason."))
    return redirect("village_return", pk=pk, code=code)


@require_POST
@login_required
def township_countersign(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    countersign = get_for_user_or_404(TownshipCountersign, _user(request), campaign_id=pk, region_code=code)
    form = CountersignForm(request.POST)
    if not form.is_valid():
        # Countersigning without the note the supervisor wrote would lose it.
        for message in form.errors.get("note", []):
            messages.error(request, f"{form['note'].label}：{message}")
        return redirect("township_progress", pk=pk, code=code)
    note = form.cleaned_data["note"]
    try:
        services.township_countersign(actor=_user(request), countersign=countersign, note=note)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("The township's census has been countersigned."))
    return redirect("township_progress", pk=pk, code=code)


@require_POST
@login_required
def campaign_sign(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_for_user_or_404(Campaign, _user(request), pk=pk)
    try:
        services.campaign_sign(actor=_user(request), campaign=campaign)
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("The campaign has been signed and closed."))
    return redirect("campaign_detail", pk=pk)


@require_POST
@login_required
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_for_user_or_404(Campaign, _user(request), pk=pk)
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        services.campaign_cancel(actor=_user(request), campaign=campaign, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, _("The campaign has been cancelled; its to-do items are closed."))
    return redirect("campaign_detail", pk=pk)
