"""Public pages (groups, appraisals, actions, accountability) and the forms of groups and staff.

Public pages follow the portal's rule: a non-public city is 404 to outsiders. Recording views need
group membership or a monitor role; management views sit behind ``city_role("analyst")``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms import BaseForm as Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safercities.accounts.permissions import role_in
from safercities.community import actions, forms, photos, queries, svg
from safercities.community.models import (
    PARAMETERS,
    Action,
    Appraisal,
    Follower,
    GroupMember,
    Photo,
    Recommendation,
    WorkingGroup,
)
from safercities.places.models import City
from safercities.portal.queries import visible_city
from safercities.workspace.access import city_role


def _form_errors(form: Form, error: ValidationError) -> None:
    """Put a domain ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- public pages ------------------------------------------------------------------------------------


def city(request: HttpRequest, city: str) -> HttpResponse:
    place = visible_city(request.user, city)
    groups = list(queries.public_groups(place))
    mine = queries.group_of_user(place, request.user)
    recordable = [g for g in WorkingGroup.objects.filter(city=place) if actions.may_record(request.user, g)]
    context = {
        "city": place,
        "groups": groups,
        "mine": list(mine),
        "recordable": recordable,
        "appraisals": list(queries.public_appraisals(place)[:20]),
        "may_manage": actions.may_manage(request.user, place),
    }
    return render(request, "community/city.html", context)


def _visible_group(request: HttpRequest, place: City, pk: int) -> WorkingGroup:
    group = get_object_or_404(WorkingGroup, city=place, pk=pk)
    if group.is_public or actions.may_manage(request.user, place) or actions.may_record(request.user, group):
        return group
    raise Http404("no such group")


def group(request: HttpRequest, city: str, pk: int) -> HttpResponse:
    place = visible_city(request.user, city)
    item = _visible_group(request, place, pk)
    full = actions.may_manage(request.user, place)
    context = {
        "city": place,
        "group": item,
        "full": full,
        "stats": queries.participation(item, full=full),
        "members": list(item.members.all()) if full else [],
        "conveners": [m for m in item.members.all() if m.role == GroupMember.CONVENER],
        "meetings": list(item.meetings.all()[:20]),
        "appraisals": list(
            item.appraisals.select_related("area").filter(status=Appraisal.FINAL)
            if not actions.may_record(request.user, item)
            else item.appraisals.select_related("area")
        ),
        "may_record": actions.may_record(request.user, item),
    }
    return render(request, "community/group.html", context)


def _visible_appraisal(request: HttpRequest, place: City, pk: int) -> Appraisal:
    item = get_object_or_404(Appraisal.objects.select_related("group", "area"), city=place, pk=pk)
    if actions.may_record(request.user, item.group) or actions.may_manage(request.user, place):
        return item
    if item.is_final and item.group.is_public:
        return item
    raise Http404("no such appraisal")


def appraisal(request: HttpRequest, city: str, pk: int) -> HttpResponse:
    place = visible_city(request.user, city)
    item = _visible_appraisal(request, place, pk)
    full = actions.may_manage(request.user, place) or actions.may_record(request.user, item.group)
    points = list(item.points.all())
    cells = queries.mapping_cells(points) if points else None
    context = {
        "city": place,
        "appraisal": item,
        "full": full,
        "parameters": PARAMETERS,
        "locations": list(item.locations.all()),
        "shares": _shares(item),
        "participants": queries.appraisal_participants(item, full=full),
        "points": points if full else [],
        "cells": cells,
        "cell_shapes": svg.cell_map(cells.features) if cells else [],
        "findings": list(item.findings.all()),
        "photos": list(item.photos.all()),
        "recommendations": list(item.recommendations.prefetch_related("actions")),
        "may_record": actions.may_record(request.user, item.group),
        "may_manage": actions.may_manage(request.user, place),
    }
    return render(request, "community/appraisal.html", context)


def _shares(item: Appraisal) -> list[tuple[Any, int, int, int | None]]:
    from safercities.community.indicators import shares

    counts = shares(item.locations.all())
    return [
        (
            label,
            counts[code][0],
            counts[code][1],
            round(100 * counts[code][0] / counts[code][1]) if counts[code][1] else None,
        )
        for code, label in PARAMETERS
    ]


def photo(request: HttpRequest, city: str, pk: int, photo: int) -> FileResponse:
    place = visible_city(request.user, city)
    item = _visible_appraisal(request, place, pk)
    picture = get_object_or_404(Photo, appraisal=item, pk=photo)
    path = photos.path_of(place.slug, picture.stored_name)
    if not path.is_file():
        raise Http404("no such photo")
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def dashboard(request: HttpRequest, city: str) -> HttpResponse:
    place = visible_city(request.user, city)
    today = timezone.localdate()
    context = {"city": place, "today": today, **queries.dashboard(place, today)}
    return render(request, "community/dashboard.html", context)


def _visible_action(request: HttpRequest, place: City, pk: int) -> Action:
    item = get_object_or_404(Action.objects.select_related("area", "recommendation"), city=place, pk=pk)
    if item.is_public or actions.may_manage(request.user, place):
        return item
    raise Http404("no such action")


def action(request: HttpRequest, city: str, pk: int, follow_form: Form | None = None) -> HttpResponse:
    place = visible_city(request.user, city)
    item = _visible_action(request, place, pk)
    full = actions.may_manage(request.user, place)
    moves = queries.movements(item, full=full)
    following = (
        Follower.objects.filter(action=item, user=request.user).first() if request.user.is_authenticated else None
    )
    context = {
        "city": place,
        "action": item,
        "full": full,
        "today": timezone.localdate(),
        "movements": [(m, svg.sparkline([v for _p, v in m.series])) for m in moves],
        "updates": list(item.updates.all()),
        "follow_form": follow_form or forms.FollowForm(),
        "following": following,
        "update_form": forms.UpdateForm() if full else None,
    }
    return render(request, "community/action.html", context)


@require_POST
def follow(request: HttpRequest, city: str, pk: int) -> HttpResponse:
    place = visible_city(request.user, city)
    item = _visible_action(request, place, pk)
    if request.user.is_authenticated:
        actions.do_follow(action=item, user=request.user)
        messages.success(request, _("You follow this action: you will get an e-mail for each update."))
        return redirect("community:action", place.slug, item.pk)
    form = forms.FollowForm(request.POST)
    if not form.is_valid():
        return action(request, city, pk, follow_form=form)
    actions.do_follow(action=item, email=form.cleaned_data["email"], base=actions.base_url(request))
    messages.success(request, _("Check your e-mail: open the link we sent to confirm."))
    return redirect("community:action", place.slug, item.pk)


def _token_page(request: HttpRequest, city: str, token: str, *, confirm: bool) -> HttpResponse:
    place = visible_city(request.user, city)
    follower = Follower.objects.filter(token=token, action__city=place).select_related("action").first()
    if follower is None:
        raise Http404("no such link")
    item = follower.action
    if request.method == "POST":
        if confirm:
            if actions.do_confirm(token=token) is None:
                messages.error(request, _("This link has expired. Ask again to follow the action."))
            else:
                messages.success(request, _("Confirmed: you will get an e-mail for each update."))
        else:
            actions.do_unfollow(token=token)
            messages.success(request, _("You no longer follow this action."))
        if item.is_public:
            return redirect("community:action", place.slug, item.pk)
        return redirect("community:dashboard", place.slug)
    return render(request, "community/token.html", {"city": place, "action": item, "confirm": confirm})


def follow_confirm(request: HttpRequest, city: str, token: str) -> HttpResponse:
    return _token_page(request, city, token, confirm=True)


def unfollow(request: HttpRequest, city: str, token: str) -> HttpResponse:
    return _token_page(request, city, token, confirm=False)


# --- recording appraisals (group members and monitors) -------------------------------------------------


def recorder(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in; a role in the city (else 404); allowed to record for the appraisal's group (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, city: str, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        place = get_object_or_404(City, slug=city)
        if role_in(request.user, place) is None:
            raise Http404("no such city")
        return view(request, place, pk, *args, **kwargs)

    return wrapper


def _recordable_group(request: HttpRequest, place: City, pk: int) -> WorkingGroup:
    item = get_object_or_404(WorkingGroup, city=place, pk=pk)
    if not actions.may_record(request.user, item):
        raise PermissionDenied("not a member of this group")
    return item


def _recordable_appraisal(request: HttpRequest, place: City, pk: int) -> Appraisal:
    item = get_object_or_404(Appraisal.objects.select_related("group", "area"), city=place, pk=pk)
    if not actions.may_record(request.user, item.group):
        raise PermissionDenied("not a member of this group")
    return item


@recorder
def appraisal_new(request: HttpRequest, place: City, pk: int) -> HttpResponse:
    item = _recordable_group(request, place, pk)
    form = forms.AppraisalForm(request.POST or None, city=place, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            created = actions.do_create_appraisal(
                group=item, user=request.user, data=form.cleaned_data, request=request
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Appraisal started. Add its findings, then finalise it."))
            return redirect("community:appraisal_edit", place.slug, created.pk)
    return render(request, "community/appraisal_new.html", {"city": place, "group": item, "form": form})


EDIT_FORMS: dict[str, type[Form]] = {
    "location_form": forms.LocationForm,
    "point_form": forms.PointForm,
    "finding_form": forms.FindingForm,
    "photo_form": forms.PhotoForm,
}


def _edit_page(
    request: HttpRequest, place: City, item: Appraisal, bound: dict[str, Form] | None = None
) -> HttpResponse:
    context: dict[str, Any] = {
        "city": place,
        "appraisal": item,
        "parameters": PARAMETERS,
        "locations": list(item.locations.all()),
        "points": list(item.points.all()),
        "findings": list(item.findings.all()),
        "photos": list(item.photos.all()),
    }
    for name, form_class in EDIT_FORMS.items():
        context[name] = (bound or {}).get(name) or form_class()
    return render(request, "community/appraisal_edit.html", context)


@recorder
def appraisal_edit(request: HttpRequest, place: City, pk: int) -> HttpResponse:
    return _edit_page(request, place, _recordable_appraisal(request, place, pk))


def _add(kind: str) -> Callable[..., HttpResponse]:
    """A POST view adding one part (location, point, finding, photo) to a draft appraisal."""
    form_name = f"{kind}_form"

    @recorder
    @require_POST
    def view(request: HttpRequest, place: City, pk: int) -> HttpResponse:
        item = _recordable_appraisal(request, place, pk)
        form = EDIT_FORMS[form_name](request.POST, request.FILES)
        if form.is_valid():
            try:
                if kind == "photo":
                    actions.do_add_photo(
                        appraisal=item,
                        user=request.user,
                        upload=form.cleaned_data["photo"],
                        caption=form.cleaned_data["caption"],
                        request=request,
                    )
                else:
                    writer = {"location": actions.do_add_location, "point": actions.do_add_point}.get(
                        kind, actions.do_add_finding
                    )
                    writer(appraisal=item, user=request.user, data=form.cleaned_data, request=request)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("community:appraisal_edit", place.slug, item.pk)
        return _edit_page(request, place, item, {form_name: form})

    view.__name__ = f"{kind}_add"
    return view


location_add = _add("location")
point_add = _add("point")
finding_add = _add("finding")
photo_add = _add("photo")


@recorder
@require_POST
def appraisal_finalise(request: HttpRequest, place: City, pk: int) -> HttpResponse:
    item = _recordable_appraisal(request, place, pk)
    try:
        written = actions.do_finalise(appraisal=item, user=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("community:appraisal_edit", place.slug, item.pk)
    if written:
        messages.success(request, _("The appraisal is final; %(n)d indicator values were updated.") % {"n": written})
    else:
        messages.success(request, _("The appraisal is final."))
    return redirect("community:appraisal", place.slug, item.pk)


# --- management (analysts and above) -------------------------------------------------------------------


@city_role("analyst")
def manage(request: HttpRequest, city: City) -> HttpResponse:
    context = {
        "city": city,
        "groups": list(WorkingGroup.objects.filter(city=city).prefetch_related("members")),
        "appraisals": list(Appraisal.objects.filter(city=city).select_related("group", "area")[:50]),
        "recommendations": list(
            Recommendation.objects.filter(city=city)
            .select_related("appraisal", "meeting")
            .prefetch_related(Prefetch("actions", queryset=Action.objects.only("id", "title", "recommendation_id")))[
                :50
            ]
        ),
        "actions": list(Action.objects.filter(city=city).select_related("area")),
        "today": timezone.localdate(),
    }
    return render(request, "community/manage.html", context)


def _group_page(request: HttpRequest, city: City, item: WorkingGroup | None, **bound: Form) -> HttpResponse:
    context = {
        "city": city,
        "group": item,
        "form": bound.get("form") or forms.GroupForm(instance=item, city=city),
        "member_form": bound.get("member_form") or forms.MemberForm(city=city),
        "meeting_form": bound.get("meeting_form") or forms.MeetingForm(),
        "members": list(item.members.select_related("user")) if item else [],
        "meetings": list(item.meetings.all()) if item else [],
    }
    return render(request, "community/group_edit.html", context)


@city_role("analyst")
def group_new(request: HttpRequest, city: City) -> HttpResponse:
    return _save_group(request, city, None)


@city_role("analyst")
def group_edit(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    return _save_group(request, city, get_object_or_404(WorkingGroup, city=city, pk=pk))


def _save_group(request: HttpRequest, city: City, item: WorkingGroup | None) -> HttpResponse:
    if request.method != "POST":
        return _group_page(request, city, item)
    form = forms.GroupForm(request.POST, instance=item, city=city)
    if not form.is_valid():
        return _group_page(request, city, item, form=form)
    data = {name: form.cleaned_data[name] for name in ("name", "mandate", "is_public")}
    data["areas"] = list(form.cleaned_data["areas"])
    saved = actions.do_save_group(city=city, user=request.user, data=data, group=item, request=request)
    messages.success(request, _("Working group saved."))
    return redirect("community:group_edit", city.slug, saved.pk)


@city_role("analyst")
@require_POST
def member_add(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    item = get_object_or_404(WorkingGroup, city=city, pk=pk)
    form = forms.MemberForm(request.POST, city=city)
    if form.is_valid():
        try:
            actions.do_add_member(group=item, user=request.user, data=dict(form.cleaned_data), request=request)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Member added."))
            return redirect("community:group_edit", city.slug, item.pk)
    return _group_page(request, city, item, member_form=form)


@city_role("analyst")
@require_POST
def member_remove(request: HttpRequest, city: City, pk: int, member: int) -> HttpResponse:
    item = get_object_or_404(GroupMember, group__city=city, group_id=pk, pk=member)
    actions.do_remove_member(member=item, user=request.user, request=request)
    messages.success(request, _("Member removed."))
    return redirect("community:group_edit", city.slug, pk)


@city_role("analyst")
@require_POST
def meeting_new(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    item = get_object_or_404(WorkingGroup, city=city, pk=pk)
    form = forms.MeetingForm(request.POST)
    if not form.is_valid():
        return _group_page(request, city, item, meeting_form=form)
    actions.do_record_meeting(group=item, user=request.user, data=form.cleaned_data, request=request)
    messages.success(request, _("Meeting recorded."))
    return redirect("community:group_edit", city.slug, item.pk)


@city_role("analyst")
def recommendation_new(request: HttpRequest, city: City) -> HttpResponse:
    initial: dict[str, Any] = {}
    source = request.GET.get("appraisal", "")
    if source.isdigit():
        initial["appraisal"] = source
    form = forms.RecommendationForm(request.POST or None, city=city, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_create_recommendation(city=city, user=request.user, data=form.cleaned_data, request=request)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Recommendation recorded."))
            return redirect("community:manage", city.slug)
    return render(request, "community/recommendation_new.html", {"city": city, "form": form})


@city_role("analyst")
def action_new(request: HttpRequest, city: City) -> HttpResponse:
    return _save_action(request, city, None)


@city_role("analyst")
def action_edit(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    return _save_action(request, city, get_object_or_404(Action, city=city, pk=pk))


def _save_action(request: HttpRequest, city: City, item: Action | None) -> HttpResponse:
    initial: dict[str, Any] = {"start_date": timezone.localdate()}
    source = request.GET.get("recommendation", "")
    if item is None and source.isdigit():
        initial["recommendation"] = source
    form = forms.ActionForm(request.POST or None, instance=item, city=city, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        data["indicators"] = list(data["indicators"])
        try:
            saved = actions.do_save_action(city=city, user=request.user, data=data, action=item, request=request)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Action saved."))
            return redirect("community:action", city.slug, saved.pk)
    return render(request, "community/action_edit.html", {"city": city, "action": item, "form": form})


@city_role("analyst")
@require_POST
def action_update(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    item = get_object_or_404(Action, city=city, pk=pk)
    form = forms.UpdateForm(request.POST)
    if not form.is_valid():
        context = {"city": city, "action": item, "form": form}
        return render(request, "community/update_error.html", context)
    actions.do_post_update(
        action=item,
        user=request.user,
        text=form.cleaned_data["text"],
        status=form.cleaned_data["status"],
        request=request,
    )
    messages.success(request, _("Update published; followers are told by e-mail."))
    return redirect("community:action", city.slug, item.pk)
