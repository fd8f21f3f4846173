"""Every console string in both languages, and every key the templates name in the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.console.catalog import TEXTS

TEMPLATES = Path(__file__).resolve().parents[2] / "gateway" / "console" / "templates"
PYTHON = Path(__file__).resolve().parents[2] / "gateway" / "console"


def test_every_key_has_bokmaal_and_english() -> None:
    for key, texts in TEXTS.items():
        assert set(texts) == {"nb", "en"}, key
        assert all(text.strip() for text in texts.values()), key
        placeholders = {lang: set(re.findall(r"\{(\w+)\}", text)) for lang, text in texts.items()}
        assert placeholders["nb"] == placeholders["en"], key


def test_every_key_named_in_templates_and_code_exists() -> None:
    named: set[str] = set()
    for path in [*TEMPLATES.glob("*.html"), *PYTHON.glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"""\bt\(\s*["']([\w.]+\w)["']""", text))
        named |= set(re.findall(r"""_key=["']([\w.]+)["']""", text))
        named |= set(re.findall(r"""refuse\(\s*["']([\w.]+)["']""", text))
        named |= set(re.findall(r"""MenuItem\([^,]+,\s*["']([\w.]+)["']""", text))
        named |= {
            n
            for n in re.findall(r"""["']((?:login|refused|error)\.\w+)["']""", text)
            if not n.endswith(".html")
        }
    missing = sorted(key for key in named if key not in TEXTS)
    assert not missing, missing
