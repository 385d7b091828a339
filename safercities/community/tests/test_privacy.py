"""Residents' data in the community app: follow requests never confirmed are deleted by the daily
purge (the ``reports_purge`` job and ``safercities purge_contacts``) and expire for confirmation; the
append-only audit log names group members by a pseudonym, never by their personal data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safercities.audit.models import AuditEvent
from safercities.community import actions
from safercities.community.models import Action, Follower, GroupMember
from safercities.jobs import queue

pytestmark = pytest.mark.django_db


def _action(city, title: str = "Lights") -> Action:
    return Action.objects.create(
        city=city, title=title, owner_department="Works", start_date=date(2025, 1, 1), due_date=date(2025, 2, 1)
    )


def _request(action: Action, email: str, days_old: float) -> Follower:
    follower = actions.do_follow(action=action, email=email)
    Follower.objects.filter(pk=follower.pk).update(created_at=timezone.now() - timedelta(days=days_old))
    return follower


# --- unconfirmed followers -----------------------------------------------------------------------


def test_only_follow_requests_unconfirmed_past_the_period_are_purged_and_the_count_is_audited(city, rita):
    action = _action(city)
    stale = _request(action, "stale@example.org", days_old=8)
    fresh = _request(action, "fresh@example.org", days_old=6)
    confirmed = actions.do_confirm(token=_request(action, "kept@example.org", days_old=0).token)
    Follower.objects.filter(pk=confirmed.pk).update(created_at=timezone.now() - timedelta(days=400))
    account = actions.do_follow(action=action, user=rita)
    Follower.objects.filter(pk=account.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert actions.purge_unconfirmed_followers() == 1
    assert not Follower.objects.filter(pk=stale.pk).exists()
    assert set(Follower.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk, account.pk}
    (event,) = AuditEvent.objects.filter(action="community.followers_purged")
    assert event.city == city and event.after == {"followers": 1, "unconfirmed_after_days": 7}
    assert "stale@example.org" not in json.dumps([event.after, event.before, event.object_repr])
    assert actions.purge_unconfirmed_followers() == 0  # re-running deletes nothing more, logs nothing
    assert AuditEvent.objects.filter(action="community.followers_purged").count() == 1


def test_the_period_is_a_setting_and_a_city_filter_limits_the_purge(city, other_city, settings):
    settings.COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS = 2
    here = _request(_action(city), "a@example.org", days_old=3)
    there = _request(_action(other_city), "b@example.org", days_old=3)
    assert actions.purge_unconfirmed_followers(city=other_city) == 1
    assert Follower.objects.filter(pk=here.pk).exists() and not Follower.objects.filter(pk=there.pk).exists()
    assert "within 2 days" in mail.outbox[0].body and "deleted after 2 days" in mail.outbox[0].body


def test_asking_again_restarts_the_confirmation_period(city):
    action = _action(city)
    first = _request(action, "again@example.org", days_old=6)
    again = actions.do_follow(action=action, email="again@example.org")
    assert again.pk == first.pk and Follower.objects.count() == 1
    assert actions.purge_unconfirmed_followers(now=timezone.now() + timedelta(days=2)) == 0
    assert actions.purge_unconfirmed_followers(now=timezone.now() + timedelta(days=8)) == 1


def test_the_daily_purge_job_and_command_delete_unconfirmed_followers(city):
    action = _action(city)
    _request(action, "job@example.org", days_old=10)
    queue.enqueue("reports_purge", city=city)
    assert queue.run(queue.claim()).result == {"purged": 0, "followers_purged": 1}
    _request(action, "command@example.org", days_old=10)
    out = StringIO()
    call_command("purge_contacts", stdout=out)
    assert "deleted 1 unconfirmed follow request(s)" in out.getvalue()
    assert not Follower.objects.exists()


def test_an_expired_confirmation_link_confirms_nothing_and_deletes_the_request(city):
    action = _action(city)
    old = _request(action, "late@example.org", days_old=8)
    page = reverse("community:follow_confirm", args=["testville", old.token])
    response = Client().post(page, follow=True)
    assert response.status_code == 200 and "expired" in response.content.decode()
    assert not Follower.objects.filter(pk=old.pk).exists()
    assert Client().post(page).status_code == 404  # the link is gone with the row
    recent = _request(action, "recent@example.org", days_old=6)
    assert actions.do_confirm(token=recent.token).confirmed


@pytest.mark.parametrize("value", ["0", "-3", "seven", "7.5"])
def test_a_bad_period_refuses_to_start_naming_the_setting(value):
    env = {**os.environ, "COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS": value, "TESTING": "true"}
    run = subprocess.run(
        [sys.executable, "-c", "import safercities.settings"], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr and "COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS" in run.stderr


# --- the audit log keeps a pseudonym, not the person ---------------------------------------------


def test_member_audit_entries_keep_a_pseudonym_not_the_persons_data(group, ana):
    member = actions.do_add_member(
        group=group,
        user=ana,
        data={
            "name": "Rosa Quispe",
            "role": GroupMember.MEMBER,
            "sex": "female",
            "age_group": "60+",
            "disability": "yes",
            "joined_on": date(2025, 3, 1),
        },
    )
    pk = member.pk
    pseudonym = f"member-{pk}"
    actions.do_remove_member(member=member, user=ana)
    added, removed = AuditEvent.objects.filter(action__startswith="community.member.").order_by("pk")
    assert added.after == {
        "member": pseudonym,
        "group_id": group.pk,
        "role": "member",
        "user_id": None,
        "joined_on": "2025-03-01",
    }
    assert removed.before == added.after and removed.after is None
    for event in (added, removed):
        text = json.dumps([event.before, event.after, event.object_repr])
        assert event.object_repr == f"{pseudonym} (member)" and event.object_id == str(pk)
        assert "Rosa" not in text and "female" not in text and "60+" not in text and '"yes"' not in text
        assert event.city == group.city and event.username == "ana"
