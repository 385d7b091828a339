"""Writing, publishing, commenting and moderating: rights, audit and pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from safercities.audit.models import AuditEvent
from safercities.practices import actions
from safercities.practices.models import Comment, Practice
from safercities.practices.tests.factories import make_practice

pytestmark = pytest.mark.django_db

VALID = {
    "language": "es",
    "title_es": "Alumbrado en la plaza",
    "context_es": "Plaza central",
    "problem_es": "Oscuridad",
    "intervention_es": "Luminarias LED",
    "results_es": "Más uso nocturno",
    "evidence_level": "monitored",
    "cost_amount": "1200.50",
    "cost_currency": "mxn",
    "phase": "prevent",
    "dimensions": [],
}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_analyst_writes_a_draft_then_the_admin_publishes(city, ana, alice):
    response = client_for(ana).post(reverse("practices:new", args=[city.slug]), VALID)
    assert response.status_code == 302
    practice = Practice.objects.get()
    assert practice.status == Practice.DRAFT and practice.cost_currency == "MXN"
    assert practice.created_by == ana
    # A draft is not public.
    assert Client().get(reverse("practices:detail", args=[practice.pk])).status_code == 404
    # The analyst may not publish.
    url = reverse("practices:publish", args=[city.slug, practice.pk])
    assert client_for(ana).post(url, {"status": "published"}).status_code == 403
    assert client_for(alice).post(url, {"status": "published"}).status_code == 302
    practice.refresh_from_db()
    assert practice.status == Practice.PUBLISHED and practice.published_at is not None
    assert Client().get(reverse("practices:detail", args=[practice.pk])).status_code == 200
    actions_seen = list(AuditEvent.objects.values_list("action", flat=True))
    assert "practice.create" in actions_seen and "practice.published" in actions_seen
    # Withdrawn: gone from the network again.
    assert client_for(alice).post(url, {"status": "withdrawn"}).status_code == 302
    assert Client().get(reverse("practices:detail", args=[practice.pk])).status_code == 404


def test_staff_of_another_city_cannot_edit_or_publish(city, oscar):
    practice = make_practice(city, title_en="Ours", status=Practice.DRAFT)
    client = client_for(oscar)
    assert client.get(reverse("practices:edit", args=[city.slug, practice.pk])).status_code == 404
    assert client.post(reverse("practices:publish", args=[city.slug, practice.pk])).status_code == 404
    # Through their own city's URL the practice does not exist either.
    other = reverse("practices:edit", args=["otherburg", practice.pk])
    assert client.get(other).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.set_status(practice=practice, status=Practice.PUBLISHED, user=oscar)
    practice.title_en = "Theirs"
    with pytest.raises(PermissionDenied):
        actions.save_practice(practice=practice, dimensions=[], user=oscar)


def test_editor_validation_names_the_field(city, ana):
    bad = {**VALID, "title_es": "", "cost_currency": "", "title_en": "", "results_en": "only a result"}
    response = client_for(ana).post(reverse("practices:new", args=[city.slug]), bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"title_es", "cost_currency", "title_en"}
    assert not Practice.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("title_es", "a\x00b"),
        ("cost_amount", "-5"),
        ("cost_amount", "1e400"),
        ("cost_currency", "EUROS"),
        ("language", "fr"),
        ("phase", "destroy"),
        ("dimensions", ["999999"]),
        ("title_es", "x" * 5000),
    ],
)
def test_hostile_editor_input_is_a_form_error(city, ana, field, value):
    response = client_for(ana).post(reverse("practices:new", args=[city.slug]), {**VALID, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Practice.objects.exists()


def test_edit_keeps_translation_and_audits_the_change(city, ana):
    practice = make_practice(city, language="es", title_es="Original")
    data = {**VALID, "title_es": "Cambiado", "title_en": "Changed", "context_en": "Central square"}
    response = client_for(ana).post(reverse("practices:edit", args=[city.slug, practice.pk]), data)
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.has_translation and practice.shown_language("en") == "en"
    event = AuditEvent.objects.get(action="practice.update")
    assert event.after["title_es"] == "Cambiado" and event.before["title_es"] == "Original"


@pytest.fixture
def network_admin(db, django_user_model):
    """A network admin made without accounts.actions.grant_role, so this test stands on its own."""
    from safercities.accounts.models import Membership

    user = django_user_model.objects.create_user(username="nadia", is_staff=True)
    Membership.objects.create(user=user, city=None, role="network_admin")
    return user


def test_comments_are_hidden_until_moderated(city, rita, oscar, ana, network_admin):
    nora = network_admin
    practice = make_practice(city, title_en="Lighting")
    detail = reverse("practices:detail", args=[practice.pk])
    response = client_for(oscar).post(reverse("practices:comment", args=[practice.pk]), {"text": "How much?"})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert comment.status == Comment.PENDING and comment.city == city
    assert "How much?" not in Client().get(detail).content.decode()
    assert "How much?" not in client_for(rita).get(detail).content.decode()
    # The city's staff see it with the moderation buttons.
    assert "How much?" in client_for(ana).get(detail).content.decode()
    # A resident and another city's admin cannot moderate.
    moderate = reverse("practices:moderate", args=[city.slug, comment.pk])
    assert client_for(rita).post(moderate, {"decision": "approve"}).status_code == 403
    assert client_for(oscar).post(moderate, {"decision": "approve"}).status_code == 404
    # The network admin can.
    assert client_for(nora).post(moderate, {"decision": "approve"}).status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.APPROVED and comment.moderated_by == nora
    assert "How much?" in Client().get(detail).content.decode()
    assert AuditEvent.objects.filter(action="practice_comment.approved", user=nora).exists()
    assert AuditEvent.objects.filter(action="practice_comment.create").exists()


def test_comment_needs_sign_in_and_a_published_practice(city, rita, ana):
    practice = make_practice(city, title_en="Lighting")
    url = reverse("practices:comment", args=[practice.pk])
    assert Client().post(url, {"text": "hi"})["Location"].startswith("/en/accounts/login/")
    assert client_for(rita).post(url, {"text": "   "}).status_code == 200
    assert client_for(rita).post(url, {"text": "a\x00b"}).status_code == 200
    draft = make_practice(city, title_en="Draft", status=Practice.DRAFT)
    # Residents do not see drafts (404); staff see them but cannot comment on them (403).
    assert client_for(rita).post(reverse("practices:comment", args=[draft.pk]), {"text": "x"}).status_code == 404
    assert client_for(ana).post(reverse("practices:comment", args=[draft.pk]), {"text": "x"}).status_code == 403
    assert not Comment.objects.exists()


def test_bad_moderation_decision_changes_nothing(city, ana, rita):
    practice = make_practice(city, title_en="Lighting")
    comment = actions.add_comment(practice=practice, user=rita, text="Thanks")
    url = reverse("practices:moderate", args=[city.slug, comment.pk])
    assert client_for(ana).post(url, {"decision": "delete"}).status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.PENDING
    assert (
        client_for(ana)
        .post(url, {"decision": "reject", "next": "manage"})["Location"]
        .endswith(f"/practices/manage/{city.slug}/")
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_library_page_searches_and_filters(city, other_city, lang):
    make_practice(city, language="es", title_es="Alumbrado público en senderos", dimensions=["personal"])
    make_practice(other_city, language="en", title_en="Flood shelters", dimensions=["environmental"])
    client = Client()
    page = client.get(f"/{lang}/practices/", {"q": "street lighting"}).content.decode()
    assert "Alumbrado público en senderos" in page and "Flood shelters" not in page
    page = client.get(f"/{lang}/practices/", {"country": "ZA"}).content.decode()
    assert "Flood shelters" in page and "Alumbrado" not in page
    page = client.get(f"/{lang}/practices/", {"dimension": "personal", "q": "inundación"}).content.decode()
    assert "Flood shelters" not in page
    # An unknown filter value is a form error, not a crash.
    assert client.get(f"/{lang}/practices/", {"phase": "nope", "dimension": "x" * 300}).status_code == 200


def test_city_library_page_and_private_city(city, other_city, rita):
    make_practice(city, title_en="Ours")
    assert "Ours" in Client().get(reverse("practices:city", args=[city.slug])).content.decode()
    city.is_public = False
    city.save()
    assert Client().get(reverse("practices:city", args=[city.slug])).status_code == 404
    assert client_for(rita).get(reverse("practices:city", args=[city.slug])).status_code == 200


def test_spanish_page_shows_the_translation(city):
    practice = make_practice(city, language="en", title_en="Night markets", title_es="Mercados nocturnos")
    page = Client().get(f"/es/practices/{practice.pk}/").content.decode()
    assert "Mercados nocturnos" in page
    page = Client().get(f"/en/practices/{practice.pk}/").content.decode()
    assert "Night markets" in page
