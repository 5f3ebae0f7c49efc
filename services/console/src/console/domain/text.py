"""English source text the pages show translated.

The domain speaks no particular language: titles, definitions and labels it holds are English
source text (the catalogue's msgids). `N_` only marks such text so that Babel's extractor finds it
(as gettext's `gettext_noop`); the console's presentation (`console.entrypoints.i18n`) translates it.
"""

from __future__ import annotations


def N_(text: str) -> str:
    return text
