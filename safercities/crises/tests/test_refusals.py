"""A refused allocation in the reader's language: every code of ``analytics.allocation`` has a message."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from safercities.analytics.allocation import AllocationError, allocate
from safercities.analytics.tests.test_allocation import REFUSALS
from safercities.crises.advisor import refusal_message


def _refusal(args, kwargs) -> AllocationError:
    with pytest.raises(AllocationError) as refused:
        allocate(*args, **kwargs)
    return refused.value


@pytest.mark.parametrize(("args", "kwargs", "code", "params", "message"), REFUSALS, ids=[c[2] for c in REFUSALS])
def test_every_refusal_reads_the_same_in_english_and_is_translated_to_spanish(args, kwargs, code, params, message):
    error = _refusal(args, kwargs)
    with translation.override("en"):
        assert refusal_message(error) == message  # the English words and number format are unchanged
    with translation.override("es"):
        spanish = refusal_message(error)
    assert spanish != message  # a code without a Spanish entry would fall back to English
    assert "%(" not in spanish and "None" not in spanish  # every placeholder filled


def test_spanish_figures_use_the_spanish_number_format():
    error = _refusal(([1, 2], [1, 1], 5000), {"cap": [1000, 2000.005]})
    with translation.override("es"):
        assert refusal_message(error) == (
            "los topes suman 3\xa0000,00, redondeados hacia abajo a unidades enteras de 0,01, menos que el "
            "presupuesto de 5\xa0000,00"
        )
    error = _refusal(([1, 2, 3], [1, 1, 1], 100), {"floor": 33.333})
    with translation.override("es"):
        assert refusal_message(error) == (
            "los mínimos suman 100,02 (3 barrios × 33,333), redondeados hacia arriba a unidades enteras de 0,01, "
            "más que el presupuesto de 100,00"
        )


def test_a_field_name_is_translated_and_a_non_finite_value_shown_as_is():
    error = _refusal(([1, 2], [1, 1], 100), {"cap": float("nan")})
    with translation.override("es"):
        assert refusal_message(error) == "el tope debe ser un número ≥ 0: el barrio 1 tiene nan"
    error = _refusal(([1, 2], [1, 1], 100), {"floor": [1, 2, 3]})
    with translation.override("es"):
        assert refusal_message(error) == "el mínimo debe ser un número o uno por barrio (3 dados para 2 barrios)"


@pytest.mark.parametrize(
    "error",
    [
        AllocationError("something new went wrong", code="a_code_from_a_newer_analytics"),
        AllocationError("plain message without a code"),
        # A known code whose figures are missing or malformed must not raise while rendering the page.
        AllocationError("the floor of area X is above its cap", code="floor_above_cap", params={"area": "X"}),
        AllocationError("the caps add up", code="caps_below_budget", params={"each": 5, "rounded": True}),
    ],
)
def test_an_unknown_code_or_missing_figures_fall_back_to_the_english_text(error):
    with translation.override("es"):
        assert refusal_message(error) == str(error)


_extreme = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.005, 33.333, 1e15, 1e21, 1e300, -1.0]),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    budget=_extreme,
    floor=_extreme,
    cap=st.one_of(st.none(), _extreme),
    unit=st.sampled_from([0.01, 1.0, 0.25, 1e-13, 1e20]),
)
def test_any_refusal_renders_in_both_languages_without_raising(budget, floor, cap, unit):
    """Extreme figures (NaN, 1e300, 1e-13 units) reach the page as text, never as a server error."""
    try:
        allocate([1, 2, 0], [1, 1, 1], budget, floor=floor, cap=cap, unit=unit)
    except AllocationError as error:
        for language in ("en", "es"):
            with translation.override(language):
                text = refusal_message(error)
            assert text and "%(" not in text
