"""Pages of the lessons-learned library: search, a practice, a city's library, the editor, moderation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safercities.accounts.permissions import role_in
from safercities.places.models import City
from safercities.portal import queries as portal_queries
from safercities.practices import actions, peers, search
from safercities.practices.forms import CommentForm, PracticeForm, SearchForm
from safercities.practices.models import Comment, Practice
from safercities.workspace.access import city_role


def _countries() -> list[str]:
    return sorted(set(Practice.objects.filter(status=Practice.PUBLISHED).values_list("city__country", flat=True)))


def library(request: HttpRequest) -> HttpResponse:
    """The network's library: everything published, searchable in English and Spanish."""
    form = SearchForm(request.GET or None, countries=_countries())
    practices = actions.visible_practices(request.user).filter(status=Practice.PUBLISHED)
    query = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["dimension"]:
            practices = practices.filter(dimensions__code=data["dimension"])
        if data["country"]:
            practices = practices.filter(city__country=data["country"])
        if data["phase"]:
            practices = practices.filter(phase=data["phase"])
        query = data["q"].strip()
    elif form.is_bound:
        practices = practices.none()
    if query:
        hits = search.search(practices.distinct(), query)
        results = [hit.practice for hit in hits]
    else:
        results = list(practices.distinct()[:100])
    return render(
        request,
        "practices/library.html",
        {"form": form, "query": query, "results": results, "expanded": search.expand(query) if query else []},
    )


def _practice_for(request: HttpRequest, pk: int) -> Practice:
    practice = actions.visible_practices(request.user).filter(pk=pk).first()
    if practice is None:
        raise Http404("no such practice")
    return practice


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    practice = _practice_for(request, pk)
    moderator = actions.may_moderate(request.user, practice.city)
    comments = practice.comments.select_related("moderated_by")
    if not moderator:
        comments = comments.filter(status=Comment.APPROVED)
    return render(
        request,
        "practices/detail.html",
        {
            "practice": practice,
            "lang": practice.shown_language(),
            "comments": comments,
            "moderator": moderator,
            "may_edit": actions.may_edit(request.user, practice),
            "may_publish": actions.may_publish(request.user, practice.city),
            "comment_form": CommentForm(),
        },
    )


@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    practice = _practice_for(request, pk)
    if not practice.is_published:
        raise PermissionDenied("only published practices take comments")
    form = CommentForm(request.POST)
    if form.is_valid():
        actions.add_comment(practice=practice, user=request.user, text=form.cleaned_data["text"], request=request)
        messages.success(request, _("Thank you. Your comment will appear once a moderator has read it."))
        return redirect("practices:detail", pk=practice.pk)
    moderator = actions.may_moderate(request.user, practice.city)
    comments = practice.comments.all() if moderator else practice.comments.filter(status=Comment.APPROVED)
    return render(
        request,
        "practices/detail.html",
        {
            "practice": practice,
            "lang": practice.shown_language(),
            "comments": comments,
            "moderator": moderator,
            "may_edit": actions.may_edit(request.user, practice),
            "may_publish": actions.may_publish(request.user, practice.city),
            "comment_form": form,
        },
    )


def city_library(request: HttpRequest, slug: str) -> HttpResponse:
    """A city's published practices and the public cities most like it."""
    city = portal_queries.visible_city(request.user, slug)
    practices = actions.visible_practices(request.user).filter(city=city, status=Practice.PUBLISHED)
    return render(
        request,
        "practices/city.html",
        {
            "city": city,
            "practices": practices,
            "peers": peers.peers_of(city),
            "own": peers.profile(city),
            "is_staff": role_in(request.user, city) in {"analyst", "city_admin", "network_admin"},
        },
    )


@city_role("analyst")
def manage(request: HttpRequest, city: City) -> HttpResponse:
    """The city's practices in every status, and the comments awaiting moderation."""
    return render(
        request,
        "practices/manage.html",
        {
            "city": city,
            "practices": Practice.objects.filter(city=city).order_by("status", "-updated_at"),
            "pending": Comment.objects.filter(city=city, status=Comment.PENDING).select_related("practice"),
            "may_publish": actions.may_publish(request.user, city),
        },
    )


def _editor(request: HttpRequest, city: City, practice: Practice) -> HttpResponse:
    creating = practice.pk is None
    form = PracticeForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.city = city
        actions.save_practice(
            practice=saved, dimensions=form.cleaned_data["dimensions"], user=request.user, request=request
        )
        messages.success(request, _("Practice saved."))
        return redirect("practices:detail", pk=saved.pk)
    text_languages = [
        ("en", _("Text in English"), form.language_fields("en")),
        ("es", _("Text in Spanish"), form.language_fields("es")),
    ]
    context = {"city": city, "form": form, "creating": creating, "practice": practice, "text_languages": text_languages}
    return render(request, "practices/edit.html", context)


@city_role("analyst")
def new(request: HttpRequest, city: City) -> HttpResponse:
    return _editor(request, city, Practice(city=city, language=(request.LANGUAGE_CODE or "en")[:2]))


@city_role("analyst")
def edit(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    return _editor(request, city, get_object_or_404(Practice, city=city, pk=pk))


@city_role("city_admin")
@require_POST
def publish(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    practice = get_object_or_404(Practice, city=city, pk=pk)
    wanted = Practice.WITHDRAWN if request.POST.get("status") == Practice.WITHDRAWN else Practice.PUBLISHED
    if actions.set_status(practice=practice, status=wanted, user=request.user, request=request):
        messages.success(
            request,
            _("Published to the network.") if wanted == Practice.PUBLISHED else _("Withdrawn from the network."),
        )
    return redirect("practices:detail", pk=practice.pk)


@city_role("analyst")
@require_POST
def moderate(request: HttpRequest, city: City, pk: int) -> HttpResponse:
    found = get_object_or_404(Comment, city=city, pk=pk)
    decision = request.POST.get("decision")
    if decision not in {"approve", "reject"}:
        messages.error(request, _("Choose approve or reject."))
    elif actions.moderate(comment=found, approve=decision == "approve", user=request.user, request=request):
        messages.success(request, _("Comment approved.") if decision == "approve" else _("Comment rejected."))
    if request.POST.get("next") == "manage":
        return redirect("practices:manage", city=city.slug)
    return redirect("practices:detail", pk=found.practice_id)
