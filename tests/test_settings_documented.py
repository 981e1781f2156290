"""Every setting is documented in .env.example, and nothing there is stale."""

import re
from pathlib import Path

from paperbot.config import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def test_env_example_documents_every_setting() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?(PAPERBOT_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
    expected = {f"PAPERBOT_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^#?PAPERBOT_", line):
            above = lines[index - 1]
            assert above.startswith("# ") and len(above) > 10, f"{line} has no comment above it"
