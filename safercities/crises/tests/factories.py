"""A crisis in the small test city: a flood over A1–A3 from the test alert, populations, a 4W sheet."""

from __future__ import annotations

from datetime import date

from safercities.crises.models import Crisis, PhaseChange
from safercities.monitoring.models import Alert
from safercities.places.models import AreaPopulation, City
from safercities.portal.tests.factories import build_small_city

POPULATIONS = {"A1": 1000, "A2": 2000, "A3": 3000}

# A partners' sheet: A1 and A2 are covered, A3 (the neediest) is not.
SHEET = (
    "Organisation,Acronym,Organisation type,Sector,Activity,Area code,"
    "Start,End,Status,Girls,Boys,Women,Men,Older women,Older men,Total\n"
    "#org+name,#org+acronym,#org+type,#sector+cluster,#activity+name,#adm2+code,#date+start,#date+end,#status,#reached"
    "+f+children,#reached+m+children,#reached+f+adults,#reached+m+adults,#reached+f+elderly,#reached+m+elderly,#reached\n"
    "Cruz Roja Testville,CRT,Red Cross / Red Crescent,Health,Mobile clinic,"
    "A1,2024-06-03,2024-07-31,ongoing,20,18,40,30,6,4,118\n"
    "Agua Para Todos,APT,national NGO,WASH,Water trucking,A1,2024-06-02,,completed,30,30,25,25,5,5,120\n"
    "Agua Para Todos,APT,national NGO,WASH,Hygiene kits,"
    "A2,2024-06-05,2024-06-30,ongoing,10,12,15,14,2,1,54\n"
    "Refugio Unido,RU,international NGO,Shelter,Emergency shelter,A2,2024-06-04,,planned,0,0,0,0,0,0,0\n"
)


def build_crisis(city: City, *, user=None) -> dict:
    data = build_small_city(city)
    for area in data["areas"]:
        AreaPopulation.objects.create(area=area, year=2024, population=POPULATIONS[area.code])
    alert = Alert.objects.get(city=city)
    crisis = Crisis.objects.create(
        city=city,
        name="River flood",
        hazard="flood",
        phase="respond",
        started_on=date(2024, 6, 1),
        alert=alert,
        indicator=alert.indicator,
        declared_by=user,
    )
    crisis.areas.set(data["areas"])
    PhaseChange.objects.create(city=city, crisis=crisis, phase="respond", note="declared", changed_by=user)
    return {**data, "crisis": crisis, "alert": alert}
