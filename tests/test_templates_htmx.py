"""htmx's attributes are written ``data-hx-*``: htmx reads both spellings, the HTML validator (vnu)
accepts only the second."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_HX = re.compile(r"(?<![\w-])hx-[a-z]")


def bare_hx_attributes(paths):
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if BARE_HX.search(line):
                yield path, number, line.strip()


def test_templates_write_htmx_attributes_as_data_hx():
    paths = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "js").glob("*.js")]
    found = [f"{path.relative_to(ROOT)}:{number}: {line}" for path, number, line in bare_hx_attributes(paths)]
    assert found == []


def test_python_code_renders_no_bare_htmx_attribute():
    paths = [
        path
        for app in ["accounts", "atlaas", "label", "jury", "rgpd", "outbox", "villes_internet"]
        for path in (ROOT / app).rglob("*.py")
    ]
    assert list(bare_hx_attributes(paths)) == []
