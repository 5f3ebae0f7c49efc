"""The console's language: Swedish first, English when a user chooses it (presentation, so it lives
here; the domain keeps English source text and knows nothing of languages).

- **Catalogues**: `console/locale/<language>/LC_MESSAGES/messages.po`, English msgids with their
  translations, read with Babel when the process starts (`read_po`, compiled in memory: nothing
  compiled is committed or built at install time). English is the source text itself.
- **Which language**: the user's choice in a cookie (the switch in every page's header,
  `POST /language`); without one, Swedish. `Accept-Language` is not consulted: staff get Swedish
  unless they choose English.
- **Python code**: `gettext` / `ngettext` translate into the current request's language (a context
  variable set per request by `use`); `N_` only marks English text that is translated later.
- **Templates**: `_`, `gettext`, `ngettext` (newstyle: `_("%(n)s visits", n=3)`, so a literal `%`
  is written `%%`) and the filters `local` (dates and times in Europe/Stockholm), `number`,
  `share` and `figure`, formatted by Babel for the language's locale (sv_SE, en_GB).

Extracting the marked strings (`services/console/babel.cfg`) and merging them into the catalogue:
see services/console/README.md, "Language: Swedish first".
`tests/unit/test_i18n.py` fails when a marked string has no Swedish translation.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

from console.domain.figures import Value
from console.domain.text import N_
from console.domain.visits import STOCKHOLM

__all__ = ["DEFAULT", "LANGUAGES", "N_", "current", "gettext", "ngettext", "use"]

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT = "sv"
# Each language: its name in itself (the switch shows it so) and the Babel locale for dates and numbers.
LANGUAGES: Mapping[str, tuple[str, Locale]] = {
    "sv": ("Svenska", Locale.parse("sv_SE")),
    "en": ("English", Locale.parse("en_GB")),
}
SOURCE_LANGUAGE = "en"  # the msgids
DASH = "—"  # no value

_language: ContextVar[str] = ContextVar("console_language", default=DEFAULT)


def chosen(value: str | None) -> str:
    """The language a user chose (a cookie's value), Swedish when none or an unknown one."""
    return value if value is not None and value in LANGUAGES else DEFAULT


def use(language: str) -> None:
    """The language of the current request (Python code and templates rendered in it)."""
    _language.set(chosen(language))


def current() -> str:
    return _language.get()


@functools.cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The language's catalogue, read from its .po once per process; the source language needs none."""
    if language == SOURCE_LANGUAGE:
        return gettext_module.NullTranslations()
    return read_catalogue(LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)


def read_catalogue(path: Path, language: str) -> Translations:
    """A .po file as a gettext catalogue: parsed by Babel and compiled in memory (fuzzy entries are left out)."""
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def locale() -> Locale:
    return LANGUAGES[current()][1]


# --- Dates, times and numbers (the Jinja filters; also usable from Python) ---

STYLES = {"datetime", "seconds", "time", "date", "long", "full", "weekday"}


def local(moment: datetime | date | None, style: str = "datetime") -> str:
    """A moment in Swedish local time (Europe/Stockholm), or a date, in the language's format.

    Styles: `datetime` (sv 2026-03-28 14:05), `seconds` (… 14:05:00), `time` (14:05), `date`
    (2026-03-28), `long` (28 mars 2026), `full` (lördag 28 mars 2026), `weekday` (lör 28/3)."""
    if style not in STYLES:
        raise ValueError(f"unknown date style {style!r}")
    if moment is None:
        return DASH
    where = locale()
    if isinstance(moment, datetime):
        if style == "datetime":
            return format_datetime(moment, "short", tzinfo=STOCKHOLM, locale=where)
        if style == "seconds":
            day = format_date(moment.astimezone(STOCKHOLM).date(), "short", locale=where)
            return f"{day} {format_time(moment, 'medium', tzinfo=STOCKHOLM, locale=where)}"
        if style == "time":
            return format_time(moment, "short", tzinfo=STOCKHOLM, locale=where)
        moment = moment.astimezone(STOCKHOLM).date()
    if style == "weekday":
        return format_date(moment, "EEE d/M", locale=where)
    return format_date(moment, {"long": "long", "full": "full"}.get(style, "short"), locale=where)


def month(value: str) -> str:
    """A YYYY-MM month as the language writes it (sv: mars 2026)."""
    year, number_ = value.split("-")
    return format_date(date(int(year), int(number_), 1), "LLL yyyy", locale=locale())


def number(value: float | None, digits: int = 0) -> str:
    """A number with the language's separators (sv: 1 234,5), rounded to `digits` decimals at most."""
    if value is None:
        return DASH
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, pattern, locale=locale())


def share(value: float | None) -> str:
    """A share 0..1 as a whole percentage (sv: 33 %)."""
    return DASH if value is None else format_percent(value, locale=locale())


def figure(v: Value, unit: str) -> str:
    """A follow-up figure as the page shows it: shares with their count (33 % (1/3)), kronor, days, points."""
    if v.value is None:
        return DASH
    if unit == "share":
        return f"{share(v.value)} ({number(v.numerator)}/{number(v.denominator)})"
    if unit == "kr":
        return f"{number(v.value)} kr"
    if unit == "staff":
        return number(v.value, 2)
    if unit in ("days", "points"):
        return number(v.value, 1)
    return number(v.value)


def jinja_globals() -> dict[str, Any]:
    """What templates call: the translation functions go in with `install_gettext_callables`."""
    return {"LANGUAGES": {code: name for code, (name, _) in LANGUAGES.items()}}
