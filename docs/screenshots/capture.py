"""The README's console screenshots, taken from a running `make run` after `.venv/bin/trygg demo`.

    .venv/bin/python docs/screenshots/capture.py [--console http://127.0.0.1:8005] [--language sv]

Headless Chromium (/usr/bin/chromium, `deploy/local/install-browser.sh`) through Playwright signs in
with the local development tokens and saves each page full-length as docs/screenshots/console-*.png,
in Swedish (the console's default) unless another language is given.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
MAX_HEIGHT = 2400  # a long case timeline is cut there

# name, role, path ("case": the first person with visits on the team's Today page, else the first case)
SHOTS = (
    ("cases", "officer", "/cases"),
    ("case", "team", "case"),
    ("today", "team", "/today"),
    ("alerts", "oncall", "/alerts"),
    ("figures", "team", "/figures"),
    ("start-ops", "ops", "/"),
)


def sign_in(page: Page, console: str, role: str, language: str) -> None:
    page.goto(f"{console}/login")
    if language != "sv":
        page.locator(f'button[name="language"][value="{language}"]').click()
    page.locator("#token").fill(f"dev-{role}")
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--console", default="http://127.0.0.1:8005")
    parser.add_argument("--language", default="sv", choices=("sv", "en"))
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            for name, role, path in SHOTS:
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
                page = context.new_page()
                sign_in(page, args.console, role, args.language)
                if path == "case":
                    page.goto(f"{args.console}/today")
                    if page.locator("#live table a").count() == 0:
                        page.goto(f"{args.console}/cases")
                    page.locator("#live table a").first.click()
                else:
                    page.goto(f"{args.console}{path}")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
                target = args.out / f"console-{name}.png"
                height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
                clip = {"x": 0, "y": 0, "width": 1280, "height": height}
                page.screenshot(path=str(target), full_page=True, clip=clip)
                print(f"{target}  ({page.url})")
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    main()
