"""Official operations: imports, alerts, compute, allocation and index definitions.

Every operation calls :func:`~safercities.api.security.official_city`, which checks the token's
scope AND the caller's role in the city (``accounts.permissions``); an outsider gets 404. The work
itself is done by the same functions as the command line and the workspace.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from django.apps import apps
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import translation
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from safercities.accounts.models import Role
from safercities.analytics.allocation import AllocationError, allocate
from safercities.analytics.composite import CompositeIndexError
from safercities.analytics.composite import IndexDefinition as IndexMethod
from safercities.analytics.periods import parse_period
from safercities.api.errors import ApiError
from safercities.api.pagination import PageParams, page_of
from safercities.api.public import IndexFilter, index_json, pick_index
from safercities.api.security import OFFICIAL_AUTH, official_city
from safercities.ingest.models import ImportRun
from safercities.monitoring import actions as alert_actions
from safercities.monitoring.analysis import NeedError, need_for_allocation
from safercities.monitoring.models import Alert, IndexDefinition

router = Router(tags=["official"], auth=OFFICIAL_AUTH)

ImportKind = Literal["areas", "population", "indicators", "observations", "incidents"]
# Importer options a caller may pass (keys = the CLI's argparse names). Options that name a file on
# the server (--area-map, --indicator-map) are deliberately absent: no path reaches the importers.
STRING_OPTIONS = {
    "areas": {
        "code_field",
        "name_field",
        "parent_field",
        "level",
        "population_field",
        "crs",
        "layer",
        "code_template",
        "parent_code",
        "parent_name",
        "parent_level",
    },
    "population": {
        "area_field",
        "area_match",
        "wide",
        "year_field",
        "population_field",
        "sex_field",
        "age_group_field",
        "total_code",
        "sheet",
        "delimiter",
        "encoding",
    },
    "indicators": set(),
    "observations": {
        "sheet",
        "delimiter",
        "encoding",
        "wide",
        "indicator",
        "indicator_field",
        "indicator_match",
        "area_field",
        "area_match",
        "area_template",
        "period_field",
        "period_template",
        "period_kind",
        "value_field",
        "quality",
        "source",
    },
    "incidents": {
        "time_field",
        "category_field",
        "lat_field",
        "lon_field",
        "area_field",
        "id_field",
        "date_format",
        "delimiter",
        "encoding",
        "source",
    },
}
INT_OPTIONS = {"areas": {"population_year"}, "population": {"area_code_prefix"}}
BOOL_OPTIONS = {"observations": {"sum_duplicates"}}
LIST_OPTIONS = {"observations": {"filter"}}


def _audit(**kwargs: Any) -> None:
    if apps.is_installed("safercities.audit"):
        from safercities.audit import record

        record(**kwargs)


# --- imports ---------------------------------------------------------------------------------------


def clean_options(kind: str, raw: str) -> dict[str, Any]:
    """Parse and check the ``options`` form field (a JSON object); every problem is listed."""
    try:
        options = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        raise ApiError(
            422, "options must be a JSON object.", details=[{"field": "options", "message": "not JSON"}]
        ) from None
    if not isinstance(options, dict):
        raise ApiError(
            422, "options must be a JSON object.", details=[{"field": "options", "message": "not an object"}]
        )
    problems = []
    clean: dict[str, Any] = {}
    for key, value in options.items():
        if key in STRING_OPTIONS.get(kind, set()):
            ok = isinstance(value, str) and 0 < len(value) <= 500
        elif key in INT_OPTIONS.get(kind, set()):
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000
        elif key in BOOL_OPTIONS.get(kind, set()):
            ok = isinstance(value, bool)
        elif key in LIST_OPTIONS.get(kind, set()):
            ok = (
                isinstance(value, list)
                and len(value) <= 50
                and all(isinstance(v, str) and len(v) <= 500 for v in value)
            )
        else:
            problems.append({"field": f"options.{key}"[:100], "message": f"not an option of {kind} imports"})
            continue
        if not ok:
            problems.append({"field": f"options.{key}", "message": "wrong type or size"})
        elif value not in (None, False):
            clean[key] = value
    if problems:
        raise ApiError(422, "Some import options are not valid.", details=problems)
    return clean


@router.post("/cities/{city}/imports/{kind}", summary="Import a file (validated whole, then written; or a dry run)")
def import_file(
    request: HttpRequest,
    city: str,
    kind: ImportKind,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    options: Form[str] = "{}",
) -> Any:
    from safercities.workspace import imports as wizard

    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    clean = clean_options(kind, options)
    if file.size is not None and file.size > wizard.max_upload_bytes():
        raise ApiError(413, f"The file is larger than {wizard.max_upload_bytes()} bytes.")
    suffix = Path(file.name or "").suffix.lower()
    suffix = suffix if suffix in wizard.EXTENSIONS else ".bin"
    folder = Path(tempfile.mkdtemp(prefix="sc-api-import-"))
    try:
        # Our own file name: the caller's name never becomes a path.
        path = folder / f"upload{suffix}"
        try:
            wizard.save_upload_file(file, path)
        except wizard.UploadStorageError as exc:
            raise ApiError(
                507 if exc.disk_full else 503,
                exc.strerror,
                code="insufficient_storage" if exc.disk_full else "storage_error",
            ) from None
        # The API speaks English whatever the caller's Accept-Language: scripts match on the messages.
        with translation.override("en"):
            report = wizard._importer(kind)(place, path, user=request.user, dry_run=dry_run, **clean)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if report.import_run_id is not None:
        ImportRun.objects.filter(pk=report.import_run_id).update(filename=Path(file.name or "upload").name[:255])
    data = report.as_dict()
    if not report.ok:
        raise ApiError(
            422,
            f"The file was rejected: {report.error_count} problem(s); nothing was written.",
            code="import_rejected",
            details=data["errors"],
            extra={"import": data},
        )
    return data


def run_json(run: ImportRun, *, errors: bool = False) -> dict[str, Any]:
    data = {
        "id": run.pk,
        "kind": run.kind,
        "filename": run.filename,
        "status": run.status,
        "user": run.user.get_username() if run.user else None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "rows": run.rows,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "error_count": run.error_count,
    }
    if errors:
        data["errors"] = run.errors or []
        data["message"] = run.message
    return data


class RunFilter(PageParams):
    kind: ImportKind | None = None
    status: Literal["running", "ok", "rejected", "failed", "dry_run"] | None = None


@router.get("/cities/{city}/import-runs", summary="Import history")
def list_imports(request: HttpRequest, city: str, params: Query[RunFilter]) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    runs = ImportRun.objects.filter(city=place).select_related("user").order_by("-started_at", "-pk")
    if params.kind:
        runs = runs.filter(kind=params.kind)
    if params.status:
        runs = runs.filter(status=params.status)
    envelope, page = page_of(request, runs, params)
    return {**envelope, "imports": [run_json(r) for r in page]}


@router.get("/cities/{city}/import-runs/{run_id}", summary="One import run with every error")
def get_import(request: HttpRequest, city: str, run_id: int) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    run = ImportRun.objects.filter(city=place, pk=run_id).select_related("user").first() if run_id < 2**62 else None
    if run is None:
        raise ApiError(404, "No such import run in this city.")
    return run_json(run, errors=True)


# --- alerts ----------------------------------------------------------------------------------------


def alert_json(alert: Alert) -> dict[str, Any]:
    """INTERFACES.md's alert shape, plus who handles it."""
    return {
        "id": alert.pk,
        "indicator": alert.indicator.code,
        "area": alert.area.code,
        "period": alert.period,
        "kind": alert.kind,
        "severity": alert.severity,
        "observed": alert.observed,
        "expected": alert.expected,
        "upper": alert.upper,
        "explanation": alert.explanation,
        "status": alert.status,
        "assigned_to": alert.assigned_to.get_username() if alert.assigned_to else None,
        "acknowledged_by": alert.acknowledged_by.get_username() if alert.acknowledged_by else None,
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "created_at": alert.created_at.isoformat(),
    }


class AlertFilter(PageParams):
    status: Literal["new", "acknowledged", "resolved"] | None = None
    severity: Literal["amber", "red"] | None = None
    kind: Literal["exceedance", "threshold", "trend"] | None = None
    indicator: str | None = Field(None, max_length=64)
    area: str | None = Field(None, max_length=64)
    period: str | None = Field(None, max_length=16)


def _alerts(place: Any) -> Any:
    return Alert.objects.filter(city=place).select_related("indicator", "area", "assigned_to", "acknowledged_by")


@router.get("/cities/{city}/official/alerts", summary="Every alert of the city (with explanations)")
def list_alerts(request: HttpRequest, city: str, params: Query[AlertFilter]) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    alerts = _alerts(place).order_by("-created_at", "-pk")
    for field in ("status", "severity", "kind"):
        if getattr(params, field):
            alerts = alerts.filter(**{field: getattr(params, field)})
    if params.indicator:
        alerts = alerts.filter(indicator__code=params.indicator)
    if params.area:
        alerts = alerts.filter(area__code=params.area)
    if params.period:
        try:
            alerts = alerts.filter(period=parse_period(params.period).code)
        except ValueError as exc:
            raise ApiError(422, f"period: {exc}") from None
    envelope, page = page_of(request, alerts, params)
    return {**envelope, "alerts": [alert_json(a) for a in page]}


def _alert(place: Any, alert_id: int) -> Alert:
    alert = _alerts(place).filter(pk=alert_id).first() if 0 < alert_id < 2**62 else None
    if alert is None:
        raise ApiError(404, "No such alert in this city.")
    return alert


@router.get("/cities/{city}/official/alerts/{alert_id}", summary="One alert")
def get_alert(request: HttpRequest, city: str, alert_id: int) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    return alert_json(_alert(place, alert_id))


@router.post("/cities/{city}/official/alerts/{alert_id}/acknowledge", summary="Acknowledge a new alert")
def acknowledge_alert(request: HttpRequest, city: str, alert_id: int) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    alert = _alert(place, alert_id)
    try:
        alert = alert_actions.acknowledge_alert(alert=alert, user=request.user)
    except alert_actions.AlertStateError as exc:
        raise ApiError(409, str(exc), code="wrong_state", details=[{"status": alert.status}]) from None
    _audit(action="alert.acknowledge", user=request.user, obj=alert, city=place, request=request)
    return alert_json(alert)


class AssignBody(Schema):
    assignee: str | None = Field(..., max_length=150, description="username of an analyst or admin; null to unassign")


@router.post("/cities/{city}/official/alerts/{alert_id}/assign", summary="Assign (or unassign) an alert")
def assign_alert(request: HttpRequest, city: str, alert_id: int, body: AssignBody) -> dict[str, Any]:
    from safercities.workspace.actions import staff_of

    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    alert = _alert(place, alert_id)
    assignee = None
    if body.assignee is not None:
        assignee = staff_of(place).filter(username=body.assignee).first()
        if assignee is None:
            raise ApiError(
                422,
                "The assignee must be an analyst or admin of this city.",
                details=[{"in": "body", "field": "assignee", "message": "not staff of this city"}],
            )
    alert = alert_actions.assign_alert(alert=alert, assignee=assignee)
    _audit(action="alert.assign", user=request.user, obj=alert, city=place, request=request)
    return alert_json(alert)


@router.post("/cities/{city}/official/alerts/{alert_id}/resolve", summary="Resolve an alert")
def resolve_alert(request: HttpRequest, city: str, alert_id: int) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    alert = _alert(place, alert_id)
    try:
        alert = alert_actions.resolve_alert(alert=alert, user=request.user)
    except alert_actions.AlertStateError as exc:
        raise ApiError(409, str(exc), code="wrong_state", details=[{"status": alert.status}]) from None
    _audit(action="alert.resolve", user=request.user, obj=alert, city=place, request=request)
    return alert_json(alert)


# --- compute and allocate ---------------------------------------------------------------------------


@router.post("/cities/{city}/compute", response={202: dict}, summary="Queue a recomputation of every result")
def compute(request: HttpRequest, city: str) -> Status:
    from safercities.jobs.queue import enqueue

    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    job = enqueue("compute", city=place)
    return Status(202, {"job": job.pk, "status": job.status, "kind": job.kind})


MAX_AMOUNT = 1e15


class AllocateBody(Schema):
    budget: float = Field(..., gt=0, le=MAX_AMOUNT)
    need: str = Field("index", max_length=64, description="index, a dimension name, or an indicator code")
    floor: float = Field(0.0, ge=0, le=MAX_AMOUNT)
    cap: float | None = Field(None, gt=0, le=MAX_AMOUNT)
    period: str | None = Field(None, max_length=16)
    level: str | None = Field(None, max_length=40)
    unit: float = Field(0.01, gt=0, le=1e6, description="rounding unit (0.01 = cents)")

    model_config = {"extra": "forbid"}

    @field_validator("budget", "floor", "cap", "unit")
    @classmethod
    def finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


@router.post("/cities/{city}/allocate", summary="Split a budget by need × population (INTERFACES allocate shape)")
def allocate_budget(request: HttpRequest, city: str, body: AllocateBody) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    period = None
    if body.period:
        try:
            period = parse_period(body.period).code
        except ValueError as exc:
            raise ApiError(422, f"period: {exc}") from None
    try:
        vector = need_for_allocation(place, need=body.need, period=period, level=body.level)
        result = allocate(
            vector.need,
            vector.population,
            body.budget,
            codes=vector.codes,
            floor=body.floor,
            cap=body.cap,
            unit=body.unit,
        )
    except (NeedError, AllocationError) as exc:
        raise ApiError(422, str(exc), code="cannot_allocate") from None
    data = result.as_dict()
    data.update({"need": vector.label, "period": vector.period, "skipped": vector.skipped})
    return data


# --- index definitions -------------------------------------------------------------------------------


def definition_json(definition: IndexDefinition) -> dict[str, Any]:
    return {
        "slug": definition.slug,
        "name": definition.name,
        "is_default": definition.is_default,
        "is_published": definition.is_published,
        "config": definition.config,
    }


@router.get("/cities/{city}/index-definitions", summary="Index definitions of the city (published or not)")
def list_definitions(request: HttpRequest, city: str, params: Query[PageParams]) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    envelope, page = page_of(
        request, IndexDefinition.objects.filter(city=place).order_by("-is_default", "name"), params
    )
    return {**envelope, "definitions": [definition_json(d) for d in page]}


class DefinitionBody(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    indicators: list[str] | None = Field(None, max_length=500)
    normalisation: str = Field("minmax", max_length=20)
    imputation: str = Field("none", max_length=20)
    weighting: str = Field("equal", max_length=20)
    aggregation: str = Field("geometric", max_length=20)
    dimension_weights: dict[str, float] | None = None
    level: str | None = Field(None, max_length=40)

    model_config = {"extra": "forbid"}


@router.post("/cities/{city}/index-definitions", response={201: dict}, summary="Define and publish an index")
def create_definition(request: HttpRequest, city: str, body: DefinitionBody) -> Status:
    from django.utils.text import slugify

    from safercities.workspace.actions import publish_index

    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    slug = slugify(body.name)[:63] or "index"
    if IndexDefinition.objects.filter(city=place, slug=slug).exists():
        raise ApiError(409, f"An index definition {slug!r} exists already.", code="exists")
    weights = body.dimension_weights or {}
    if any(not math.isfinite(v) or v < 0 or v > 1e6 for v in weights.values()):
        raise ApiError(422, "dimension weights must be finite numbers between 0 and 1,000,000.")
    try:
        method = IndexMethod(
            name=body.name,
            indicators=tuple(body.indicators) if body.indicators else None,
            normalisation=body.normalisation,
            imputation=body.imputation,
            weighting=body.weighting,
            aggregation=body.aggregation,
            dimension_weights=weights or None,
        )
    except CompositeIndexError as exc:
        raise ApiError(422, str(exc)) from None
    try:
        with transaction.atomic():
            definition, stored = publish_index(
                city=place, name=body.name, method=method, by=request.user, level=body.level, request=request
            )
    except CompositeIndexError as exc:
        raise ApiError(422, str(exc)) from None
    except IntegrityError:
        raise ApiError(409, "The index definition changed at the same time; try again.") from None
    return Status(201, definition_json(definition) | {"results_stored": stored})


@router.get("/cities/{city}/official/index", summary="Index results of any definition, published or not")
def get_official_index(request: HttpRequest, city: str, params: Query[IndexFilter]) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    definition, period, level = pick_index(place, params, published_only=False)
    return index_json(place, definition, period, level)
