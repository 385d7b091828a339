from __future__ import annotations

from safercities.portal.tests.factories import build_small_city
from safercities.reports import demo
from safercities.reports.models import Report, ReportCategory


def test_demo_builds_reports_once(city):
    build_small_city(city)
    said: list[str] = []
    demo.build(city, say=said.append)
    assert Report.objects.filter(city=city).count() == 40
    assert Report.objects.filter(city=city, category__sensitive=True).count() == 1
    assert ReportCategory.objects.get(city=city, code="gbv").referral_text
    assert len({r.status for r in Report.objects.filter(city=city)}) >= 4
    demo.build(city, say=said.append)
    assert Report.objects.filter(city=city).count() == 40 and "already" in said[-1]
