"""Authorisation matrix entries of the community app (see tests/authz/__init__.py).

Mo (community monitor) is also the convener of the test group; Rita (resident) is in no group, so she
may read the public pages but not record appraisals. Analysts and above manage groups and actions.
"""

from __future__ import annotations

from tests.authorization_matrix import (
    API_PUBLIC,
    LOGIN,
    PUBLIC,
    WORKSPACE_ANALYST,
    WORKSPACE_ANALYST_POST,
    outcome,
)

CITY = {"city": "{city}"}
GROUP = {"city": "{city}", "pk": "{cm_group}"}
DRAFT = {"city": "{city}", "pk": "{cm_draft}"}
FINAL = {"city": "{city}", "pk": "{cm_final}"}
ACTION = {"city": "{city}", "pk": "{cm_action}"}

RECORDER = outcome(LOGIN, 403, 200, 200, 200, 404, 200)
RECORDER_POST = outcome(LOGIN, 403, (200, 302), (200, 302), (200, 302), 404, (200, 302))
RECORDER_POST_ONLY_GET = outcome(LOGIN, 405, 405, 405, 405, 404, 405)
ANALYST_POST_ONLY_GET = outcome(LOGIN, 403, 403, 405, 405, 404, 405)
EVERYONE_405 = outcome(405, 405, 405, 405, 405, 405, 405)
EVERYONE_302 = outcome(302, 302, 302, 302, 302, 302, 302)

PAGES: dict[str, dict] = {
    # Public pages (a private city's are 404 to outsiders: tested in the app's tests)
    "community:city": {"kwargs": CITY, "GET": PUBLIC},
    "community:group": {"kwargs": GROUP, "GET": PUBLIC},
    "community:appraisal": {"kwargs": FINAL, "GET": PUBLIC},
    "community:photo": {"kwargs": {**FINAL, "photo": "{cm_photo}"}, "GET": PUBLIC},
    "community:dashboard": {"kwargs": CITY, "GET": PUBLIC},
    "community:action": {"kwargs": ACTION, "GET": PUBLIC},
    "community:follow": {"kwargs": ACTION, "GET": EVERYONE_405, "POST": EVERYONE_302},
    "community:follow_confirm": {
        "kwargs": {"city": "{city}", "token": "{cm_confirm_token}"},
        "GET": PUBLIC,
        "POST": EVERYONE_302,
    },
    # POST removes the follower, which would change the next persona's answer: tested in the app.
    "community:unfollow": {"kwargs": {"city": "{city}", "token": "{cm_unfollow_token}"}, "GET": PUBLIC},
    # Recording: group members (Mo convenes the group), monitors and staff
    "community:appraisal_new": {"kwargs": GROUP, "GET": RECORDER, "POST": RECORDER_POST},
    "community:appraisal_edit": {"kwargs": DRAFT, "GET": RECORDER},
    "community:location_add": {"kwargs": DRAFT, "GET": RECORDER_POST_ONLY_GET, "POST": RECORDER_POST},
    "community:point_add": {"kwargs": DRAFT, "GET": RECORDER_POST_ONLY_GET, "POST": RECORDER_POST},
    "community:finding_add": {"kwargs": DRAFT, "GET": RECORDER_POST_ONLY_GET, "POST": RECORDER_POST},
    "community:photo_add": {"kwargs": DRAFT, "GET": RECORDER_POST_ONLY_GET, "POST": RECORDER_POST},
    "community:appraisal_finalise": {
        "kwargs": DRAFT,
        "GET": RECORDER_POST_ONLY_GET,
        "POST": outcome(LOGIN, 403, 302, 302, 302, 404, 302),
    },
    # Management: analysts and above
    "community:manage": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "community:group_new": {"kwargs": CITY, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "community:group_edit": {"kwargs": GROUP, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "community:member_add": {"kwargs": GROUP, "GET": ANALYST_POST_ONLY_GET, "POST": WORKSPACE_ANALYST_POST},
    "community:member_remove": {
        "kwargs": {**GROUP, "member": "{cm_member}"},
        "GET": ANALYST_POST_ONLY_GET,
        "POST": outcome(LOGIN, 403, 403, 302, 302, 404, 302),
    },
    "community:meeting_new": {"kwargs": GROUP, "GET": ANALYST_POST_ONLY_GET, "POST": WORKSPACE_ANALYST_POST},
    "community:recommendation_new": {"kwargs": CITY, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "community:action_new": {"kwargs": CITY, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "community:action_edit": {"kwargs": ACTION, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "community:action_update": {"kwargs": ACTION, "GET": ANALYST_POST_ONLY_GET, "POST": WORKSPACE_ANALYST_POST},
}
API: dict[str, dict] = {
    "GET /api/v1/cities/{city}/actions": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/accountability": {"expect": API_PUBLIC},
}
POST_DATA: dict[str, dict] = {
    "community:follow": {"email": "follower@example.org"},
    "community:appraisal_new": {
        "kind": "audit_walk",
        "title": "Matrix walk",
        "date": "2024-05-02",
        **dict.fromkeys(
            (
                "participants_female",
                "participants_male",
                "participants_other_sex",
                "participants_youth",
                "participants_adult",
                "participants_older",
                "participants_disability",
            ),
            "0",
        ),
    },
    "community:location_add": {"description": "Bus stop", "lighting": "1"},
    "community:point_add": {"category": "dark_spot", "lat": "19.005", "lon": "-98.195"},
    "community:finding_add": {"theme": "safety", "text": "Few people after dark."},
    "community:group_new": {"name": "Matrix group", "mandate": "Test"},
    "community:group_edit": {"name": "Renamed group", "mandate": "Test"},
    "community:member_add": {"name": "Participant", "role": "member", "sex": "female"},
    "community:meeting_new": {"date": "2024-05-01", "minutes": "Met."},
    "community:recommendation_new": {"text": "Light the path."},
    "community:action_new": {
        "title": "Matrix action",
        "owner_department": "Public works",
        "start_date": "2024-01-01",
        "due_date": "2024-12-31",
        "status": "planned",
    },
    "community:action_edit": {
        "title": "Edited action",
        "owner_department": "Public works",
        "start_date": "2024-01-01",
        "due_date": "2024-12-31",
        "status": "in_progress",
        "is_public": "on",
    },
    "community:action_update": {"text": "Works began.", "status": ""},
}


def objects(city, other_city, users) -> dict:
    """A public group convened by Mo, a draft and a final appraisal (with a photo), an action, followers."""
    import io
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from safercities.community import actions
    from safercities.community.models import Action, Appraisal, Follower, GroupMember, WorkingGroup
    from safercities.places.models import Area

    area = Area.objects.filter(city=city).exclude(level="city").order_by("code").first()
    group = WorkingGroup.objects.create(city=city, name="Matrix walkers", mandate="Walk and report.")
    GroupMember.objects.create(group=group, user=users["mo"], name="Mo", role=GroupMember.CONVENER, sex="male")
    other = GroupMember.objects.create(group=group, name="Non-user participant", role=GroupMember.MEMBER)
    draft = Appraisal.objects.create(
        city=city, group=group, kind="audit_walk", title="Draft", area=area, date=date(2024, 5, 1)
    )
    final = Appraisal.objects.create(
        city=city, group=group, kind="audit_walk", title="Final", area=area, date=date(2024, 4, 1)
    )
    actions.do_add_location(appraisal=final, user=None, data={"description": "Corner", "lighting": 1})
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    photo = actions.do_add_photo(
        appraisal=final, user=None, upload=SimpleUploadedFile("p.jpg", buffer.getvalue(), "image/jpeg")
    )
    actions.do_finalise(appraisal=final, user=None)
    action = Action.objects.create(
        city=city,
        title="Light the park",
        owner_department="Public works",
        area=area,
        start_date=date(2024, 1, 1),
        due_date=date(2024, 6, 30),
    )
    confirm = Follower.objects.create(action=action, email="pending@example.org")
    leaving = Follower.objects.create(action=action, email="leaving@example.org", confirmed=True)
    return {
        "cm_group": group.pk,
        "cm_member": other.pk,
        "cm_draft": draft.pk,
        "cm_final": final.pk,
        "cm_photo": photo.pk,
        "cm_action": action.pk,
        "cm_area": area.pk,
        "cm_confirm_token": confirm.token,
        "cm_unfollow_token": leaving.token,
    }
