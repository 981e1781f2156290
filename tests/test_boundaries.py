"""The core never imports a chat library; only ``paperbot.chat`` may."""

from __future__ import annotations

import ast
from pathlib import Path

import paperbot

PACKAGE = Path(paperbot.__file__).parent
CHAT_LIBRARIES = ("discord", "telegram")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_modules_never_import_discord_or_telegram() -> None:
    core = [p for p in PACKAGE.rglob("*.py") if "chat" not in p.relative_to(PACKAGE).parts]
    assert len(core) > 20
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(m for m in _imported_modules(path) if m.split(".")[0] in CHAT_LIBRARIES)
        for path in core
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_walker_sees_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import discord.ext.commands\nfrom telegram import Bot\n", encoding="utf-8")
    assert _imported_modules(sample) == {"discord.ext.commands", "telegram"}
