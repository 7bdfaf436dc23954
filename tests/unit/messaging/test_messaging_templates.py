"""Templates: strict about missing values, sandboxed, validated at load, shipped sets render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.messaging.context import (
    KNOWN_VARIABLES,
    Links,
    PersonalisationFacts,
    anniversary_milestone,
    build_context,
    ordinal,
)
from goodwill.messaging.errors import TemplateInvalid, TemplateNotFound, TemplateVariableMissing
from goodwill.messaging.templates import (
    TemplateLibrary,
    parts_for_channel,
    preview,
    render,
    shipped_library,
)

SHIPPED = [
    "thank_you_first_order",
    "review_request",
    "review_reminder",
    "nps_request",
    "referral_invite",
    "loyalty_invite",
    "winback",
    "birthday",
    "anniversary",
    "post_order_checkin",
]


def full_context(**overrides: Any) -> dict[str, Any]:
    facts = PersonalisationFacts(
        first_name="Ana",
        last_name="Silva",
        account_name="Silva & Filhos",
        brand="Casa Verde",
        last_product="linen throw",
        last_order_number="#1042",
        remembered_fact="I hope the Porto half marathon went well!",
        milestone="first year with us",
        offer="15% off",
        links=Links(
            shop_url="https://shop.example/",
            order_url="https://shop.example/o/1042",
            review_url="https://reviews.example/r?o=1042&p=7",
            nps_url="https://goodwill.example/nps/abc",
            referral_url="https://shop.example/r/ana",
            loyalty_url="https://shop.example/rewards",
            unsubscribe_url="https://goodwill.example/u/TOKEN",
            preferences_url="https://goodwill.example/p/TOKEN",
        ),
    )
    context = build_context(facts)
    context.update(overrides)
    return context


def test_every_required_template_is_shipped_and_valid() -> None:
    library = shipped_library()
    assert set(SHIPPED) <= set(library.names())
    for name in SHIPPED:
        assert library.variables(name) <= KNOWN_VARIABLES


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_template_renders_all_parts_with_full_context(name: str) -> None:
    message = render(name, full_context())
    assert message.subject and "\n" not in message.subject
    assert message.text and "{{" not in message.text and "{%" not in message.text
    for part in ("html", "sms", "postal"):
        value = message.part(part)
        assert value is None or ("{{" not in value and "None" not in value)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_template_reads_well_without_a_first_name(name: str) -> None:
    message = render(name, full_context(first_name=None, display_name=None))
    assert message.text is not None
    assert "Hi ," not in message.text and "Hi  " not in message.text


@pytest.mark.parametrize("name", ["review_request", "review_reminder"])
def test_review_requests_use_neutral_language(name: str) -> None:
    message = render(name, full_context())
    everything = " ".join(p for p in (message.subject, message.text, message.sms) if p).lower()
    assert "honest" in everything
    for gating in ("if you're happy", "if you are happy", "if you loved", "5 stars", "five star"):
        assert gating not in everything


def test_html_is_autoescaped_but_text_is_not() -> None:
    message = render("thank_you_first_order", full_context(last_product="<b>Mug</b> & co"))
    assert message.html is not None and message.text is not None
    assert "&lt;b&gt;Mug&lt;/b&gt; &amp; co" in message.html
    assert "<b>Mug</b> & co" in message.text


def test_nps_html_has_eleven_one_click_scores() -> None:
    html = render("nps_request", full_context()).html
    assert html is not None
    for score in range(11):
        assert f"https://goodwill.example/nps/abc?score={score}" in html


def test_missing_required_value_names_template_part_and_variable() -> None:
    with pytest.raises(TemplateVariableMissing) as caught:
        render("review_request", full_context(review_url=None))
    err = caught.value
    assert (err.template, err.variable) == ("review_request", "review_url")
    assert err.part in {"text", "html", "sms"}
    assert err.line is not None and err.line > 1
    assert "review_url" in str(err) and err.code == "messaging.template_variable_missing"


def test_empty_string_counts_as_missing_unless_defaulted() -> None:
    library = TemplateLibrary({"t": {"sms": "Hi {{ first_name }}"}})
    with pytest.raises(TemplateVariableMissing, match="first_name"):
        library.render("t", {"first_name": "   "})
    defaulted = TemplateLibrary({"t": {"sms": "Hi {{ first_name | default('there') }}"}})
    assert defaulted.render("t", {"first_name": ""}).sms == "Hi there"
    guarded = TemplateLibrary({"t": {"sms": "Hi{% if first_name %} {{ first_name }}{% endif %}!"}})
    assert guarded.render("t", {"first_name": ""}).sms == "Hi!"


def test_nested_missing_value_is_named_by_path() -> None:
    library = TemplateLibrary({"t": {"sms": "Your {{ product.name }} is here"}})
    with pytest.raises(TemplateVariableMissing) as caught:
        library.render("t", {"product": {"name": "", "sku": "X"}})
    assert caught.value.variable == "product.name"


def test_render_only_the_parts_a_channel_needs() -> None:
    context = full_context()
    context.pop("review_url")
    library = TemplateLibrary(
        {"t": {"subject": "S", "text": "T {{ review_url }}", "sms": "Hi {{ brand }}"}}
    )
    assert library.render("t", context, parts=parts_for_channel("sms")).sms == "Hi Casa Verde"
    with pytest.raises(TemplateVariableMissing):
        library.render("t", context, parts=parts_for_channel("email"))


def test_preview_lists_every_missing_variable_without_raising() -> None:
    result = preview("review_request", {"brand": "Casa Verde"})
    assert not result.ok
    assert result.missing["text"] == ("review_url",)
    assert "subject" in result.parts
    library = TemplateLibrary({"t": {"sms": "{{ a }} {{ b }} {{ c.d }}"}})
    assert library.preview("t", {"a": "x"}).missing == {"sms": ("b", "c")}
    assert library.preview("t", {"a": "x", "b": "y", "c": {"e": 1}}).missing == {"sms": ("c.d",)}
    assert library.preview("t", {"a": "x", "b": "y", "c": {"d": "z"}}).parts == {"sms": "x y z"}
    nps = preview("nps_request", {"brand": "B"})
    assert nps.missing == {"text": ("nps_url",), "html": ("nps_scores",), "sms": ("nps_url",)}


def test_sandbox_blocks_unsafe_access() -> None:
    library = TemplateLibrary({"t": {"sms": "{{ brand.__class__.__mro__ }}"}})
    with pytest.raises(TemplateInvalid, match="unsafe"):
        library.render("t", {"brand": "x"})
    mutating = TemplateLibrary({"t": {"sms": "{{ items.append(1) }}"}})
    with pytest.raises(TemplateInvalid, match="unsafe"):
        mutating.render("t", {"items": [1]})


def test_syntax_error_is_reported_with_template_part_and_line() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        TemplateLibrary({"broken": {"subject": "Hi", "text": "line one\n{% if x %}\nno end"}})
    err = caught.value
    assert (err.template, err.part) == ("broken", "text")
    assert err.line is not None and err.line >= 2
    assert "broken/text line" in str(err)


def test_unknown_variable_is_a_load_error_when_known_set_given() -> None:
    with pytest.raises(TemplateInvalid, match="frist_name"):
        TemplateLibrary({"t": {"sms": "Hi {{ frist_name }}"}}, known_variables=KNOWN_VARIABLES)


def test_incomplete_email_set_and_unknown_include_are_load_errors() -> None:
    with pytest.raises(TemplateInvalid, match="subject and text"):
        TemplateLibrary({"t": {"subject": "Hi"}})
    with pytest.raises(TemplateInvalid, match=r"body\.txt"):
        TemplateLibrary({"t": {"subject": "Hi", "html": "<p>x</p>"}})
    with pytest.raises(TemplateInvalid, match=r"_nope\.txt"):
        TemplateLibrary({"t": {"sms": "{% include '_nope.txt' %}"}})


def test_from_directory_rejects_misspelt_part_files(tmp_path: Path) -> None:
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "subjet.txt").write_text("Hi")
    with pytest.raises(TemplateInvalid, match=r"subjet\.txt"):
        TemplateLibrary.from_directory(tmp_path)


def test_from_directory_loads_sets_and_partials(tmp_path: Path) -> None:
    (tmp_path / "_partials").mkdir()
    (tmp_path / "_partials" / "_sig.txt").write_text("-- {{ brand }}")
    (tmp_path / "hello").mkdir()
    (tmp_path / "hello" / "sms.txt").write_text("Hello {% include '_sig.txt' %}\n")
    library = TemplateLibrary.from_directory(tmp_path)
    assert library.names() == ["hello"]
    assert library.render("hello", {"brand": "B"}).sms == "Hello -- B"


def test_unknown_template_name_is_not_found() -> None:
    with pytest.raises(TemplateNotFound, match="no template named 'nope'"):
        render("nope", {})


def test_build_context_cleans_names() -> None:
    context = build_context(PersonalisationFacts(first_name="  JEAN-LUC ", brand="B"))
    assert context["first_name"] == "Jean-Luc"
    assert build_context(PersonalisationFacts(first_name="o'neil", brand="B"))["first_name"] == (
        "O'Neil"
    )
    assert build_context(PersonalisationFacts(first_name="McDonald", brand="B"))["first_name"] == (
        "McDonald"
    )
    for junk in ("n/a", "test", "ana@example.com", "12345", "   "):
        assert build_context(PersonalisationFacts(first_name=junk, brand="B"))["first_name"] is None
    both = build_context(PersonalisationFacts(first_name="ana", last_name="SILVA", brand="B"))
    assert both["display_name"] == "Ana Silva"


def test_unreplaced_placeholder_never_reaches_the_message() -> None:
    with pytest.raises(TemplateVariableMissing, match="review_url"):
        render("review_request", full_context(review_url="{{signed_link}}"))


def test_anniversary_milestone_phrases() -> None:
    assert anniversary_milestone(1) == "first year with us"
    assert anniversary_milestone(10) == "tenth year with us"
    assert anniversary_milestone(None) is None and anniversary_milestone(0) is None
    assert [ordinal(n) for n in (11, 12, 13, 21, 22, 23, 101, 111)] == [
        "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th",
    ]  # fmt: skip
    subject = render("anniversary", full_context(milestone=anniversary_milestone(3))).subject
    assert subject == "Celebrating your third year with us"


_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.text(max_size=8),
        st.sampled_from(["", "  ", "{{signed_link}}", "a {% if %}", "Ana"]),
        st.integers(),
        st.booleans(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=6), _VALUES, max_size=6))
def test_clean_context_drops_exactly_the_blanks(context: dict[str, Any]) -> None:
    from goodwill.messaging.template_values import _blank, _clean, clean_context

    expected = {k: _clean(v, k) for k, v in context.items() if not _blank(v)}
    cleaned = clean_context(context)
    assert cleaned == expected
    assert [type(v) for v in cleaned.values()] == [type(v) for v in expected.values()]
