"""Swedish first: the catalogue covers every marked string, the language is chosen per user, and
dates, times and numbers follow the language (Babel)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from console_support import ConsoleHarness

from console.domain.access import NAVIGATION
from console.domain.alerts import TOPICS
from console.domain.figure_sources import SOURCES
from console.domain.figures import FIGURES, Value
from console.entrypoints import i18n
from console.entrypoints.labels import LABELS

CONSOLE = Path(__file__).resolve().parents[2]
CATALOGUE = CONSOLE / "src" / "console" / "locale" / "sv" / "LC_MESSAGES" / "messages.po"


def marked() -> dict[str, list[str]]:
    """Every string marked for translation in the console's Python code and templates, as Babel's
    extractor finds it with the project's own config (`babel.cfg`), with where it was found."""
    with (CONSOLE / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(str(CONSOLE), method_map, options_map):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(f"{filename}:{line}")
    return found


def catalogue() -> Catalog:
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="sv")


def translated(entry: object) -> bool:
    string = getattr(entry, "string", None)
    if isinstance(string, str):
        return bool(string.strip())
    return bool(string) and all(s.strip() for s in string)  # type: ignore[union-attr]


def test_every_marked_string_has_a_swedish_translation() -> None:
    found = marked()
    po = catalogue()
    assert len(found) > 100  # the extractor did read the templates and the code
    missing = {m: where[0] for m, where in found.items() if po.get(m) is None or not translated(po.get(m))}
    assert not missing, "no Swedish translation in messages.po (see console.entrypoints.i18n): " + "\n".join(
        f"{where}: {m!r}" for m, where in sorted(missing.items(), key=lambda kv: kv[1])
    )


TEMPLATES = CONSOLE / "src" / "console" / "templates"
SAME_IN_EVERY_LANGUAGE = {"Trygg", "hemgång", "kr"}


def unmarked_words(source: str) -> list[str]:
    """Words of a template that a reader sees but no `_()` translates: text between tags, and the
    aria-label, title, placeholder and alt attributes, outside Jinja's tags, expressions and comments."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    attributes = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', text)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    parts = [text] + [re.sub(r"\{\{.*?\}\}", " ", a) for a in attributes]
    words = [w for part in parts for w in re.findall(r"[^\W\d_]{2,}", part)]
    return [w for w in words if w not in SAME_IN_EVERY_LANGUAGE]


def test_every_word_a_template_shows_is_marked_for_translation() -> None:
    assert unmarked_words('<p title="Hi {{ x }}">Sign in {{ _("Sign in") }} kr</p>') == ["Sign", "in", "Hi"]
    found = {p.name: unmarked_words(p.read_text()) for p in sorted(TEMPLATES.glob("*.html"))}
    assert len(found) >= 10
    assert not {name: words for name, words in found.items() if words}, "mark with {{ _(...) }}"


def test_the_catalogue_is_clean_no_fuzzy_obsolete_unused_or_broken_entries() -> None:
    po = catalogue()
    found = marked()
    entries = [m for m in po if m.id]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not fuzzy, f"fuzzy entries are not used: translate and unmark them: {fuzzy}"
    assert not po.obsolete, f"obsolete entries (#~): remove them: {list(po.obsolete)}"
    unused = [m.id for m in entries if (m.id if isinstance(m.id, str) else m.id[0]) not in found]
    assert not unused, f"entries no code or template marks: mark the text or remove the entry: {unused}"
    # Babel's own checks: the same placeholders on both sides, plural forms all given.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in po.check() if errors]
    assert not problems, problems
    assert po.plural_forms == "nplurals=2; plural=(n != 1);"


def test_gettext_follows_the_request_language_and_english_is_the_source_text() -> None:
    i18n.use("sv")
    assert i18n.gettext("Cases") == "Ärenden"
    assert i18n.ngettext("%(num)s case.", "%(num)s cases.", 2) % {"num": 2} == "2 ärenden."
    i18n.use("en")
    assert i18n.gettext("Cases") == "Cases"
    i18n.use("klingon")  # an unknown choice: Swedish
    assert i18n.current() == "sv"


def test_the_domains_english_source_text_is_in_the_catalogue() -> None:
    """Figure titles, definitions and sources, alert kinds, page names and the codes' labels are data
    that templates translate by value: each must be a translated entry (marked `N_` where it is defined)."""
    po = catalogue()
    texts = [f.title for f in FIGURES] + [f.definition for f in FIGURES] + list(SOURCES.values())
    texts += list(TOPICS.values()) + [name for _page, name in NAVIGATION]
    texts += [text for kind in LABELS.values() for text in kind.values()]
    untranslated = [t for t in texts if po.get(t) is None or not translated(po.get(t))]
    assert not untranslated, untranslated
    assert set(SOURCES) <= {f.key for f in FIGURES}


@pytest.fixture
def swedish() -> Iterator[None]:
    i18n.use("sv")
    yield
    i18n.use("sv")


def test_dates_times_and_numbers_in_swedish_format_and_local_time(swedish: None) -> None:
    moment = datetime(2026, 3, 28, 13, 5, 9, tzinfo=UTC)  # 14:05 in Stockholm (CET)
    summer = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # 15:05 (CEST)
    assert i18n.local(moment) == "2026-03-28 14:05"
    assert i18n.local(summer, "time") == "15:05"
    assert i18n.local(moment, "seconds") == "2026-03-28 14:05:09"
    assert i18n.local(date(2026, 3, 28), "full") == "lördag 28 mars 2026"
    assert i18n.local(date(2026, 3, 28), "weekday") == "lör 28/3"
    assert i18n.local(None) == "—"
    nbsp = "\u00a0"
    assert i18n.number(1234567.5, 1) == f"1{nbsp}234{nbsp}567,5"
    assert i18n.share(1 / 3) == f"33{nbsp}%"
    assert i18n.figure(Value(1 / 3, 1, 3), "share") == f"33{nbsp}% (1/3)"
    assert i18n.figure(Value(12600.0), "kr") == f"12{nbsp}600 kr"
    assert i18n.figure(Value(2.25), "days") == "2,2"  # Babel rounds half to even
    i18n.use("en")
    assert i18n.local(moment) == "28/03/2026, 14:05"
    assert i18n.figure(Value(1 / 3, 1, 3), "share") == "33% (1/3)"
    with pytest.raises(ValueError, match="unknown date style"):
        i18n.local(moment, "%Y")


def test_pages_are_swedish_by_default_whatever_the_browser_asks_for(harness: ConsoleHarness) -> None:
    page = harness.client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert page.status_code == 200
    assert '<html lang="sv"' in page.text
    assert "<h1>Logga in</h1>" in page.text

    harness.login("officer")
    cases = harness.client.get("/cases")
    assert "<h1>Ärenden</h1>" in cases.text
    assert "Utskrivningsklar" in cases.text


def test_a_user_who_chooses_english_gets_english_until_they_choose_swedish_again(harness: ConsoleHarness) -> None:
    harness.login("officer")
    chose = harness.client.post("/language", data={"language": "en", "next": "/cases?x=1"})

    assert chose.status_code == 303
    assert chose.headers["location"] == "/cases?x=1"
    cookie = chose.headers["set-cookie"].lower()
    assert cookie.startswith("trygg_console_lang=en;")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    cases = harness.client.get("/cases")
    assert '<html lang="en"' in cases.text
    assert "<h1>Cases</h1>" in cases.text
    assert html.escape("Ready for discharge") in cases.text
    # It sticks: signing out and in again keeps the choice (the same person, the same browser).
    harness.client.post("/logout")
    assert "<h1>Sign in</h1>" in harness.client.get("/login").text
    harness.login("officer")
    assert "<h1>Cases</h1>" in harness.client.get("/cases").text

    harness.client.post("/language", data={"language": "sv"})
    assert "<h1>Ärenden</h1>" in harness.client.get("/cases").text


def test_the_language_switch_refuses_other_sites_and_unknown_languages(harness: ConsoleHarness) -> None:
    elsewhere = harness.client.post("/language", data={"language": "en"}, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    assert "set-cookie" not in elsewhere.headers

    unknown = harness.client.post("/language", data={"language": "fi"})
    assert unknown.status_code == 422

    offsite = harness.client.post("/language", data={"language": "en", "next": "//evil.example/"})
    assert offsite.headers["location"] == "/"


@pytest.mark.parametrize(
    ("role", "path", "english", "swedish"),
    [
        ("officer", "/cases", "Ready for discharge and planning", "Utskrivningsklara och under planering"),
        ("team", "/cases/A", "Visit completed: Homecoming visit", "Besök genomfört: Hembesök vid hemkomst"),
        ("team", "/today?day=2026-03-28", "Visits Saturday, 28 March 2026", "Besök lördag 28 mars 2026"),
        ("oncall", "/alerts", "On-call alerts", "Jourlarm"),
        ("ops", "/figures?from=2026-02&to=2026-03", "People served per month", "Personer som fått insatsen per månad"),
        ("ops", "/audit", "Audit log", "Åtkomstlogg"),
    ],
)
def test_every_page_in_both_languages(
    harness: ConsoleHarness, role: str, path: str, english: str, swedish: str
) -> None:
    client = harness.login(role)

    page = client.get(path)
    assert page.status_code == 200
    assert swedish in html.unescape(page.text)
    assert english not in html.unescape(page.text)

    client.post("/language", data={"language": "en"})
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="en"' in page.text
    assert english in html.unescape(page.text)
    assert swedish not in html.unescape(page.text)
