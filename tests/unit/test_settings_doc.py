"""The README's settings table is the one generated from the settings object."""

from __future__ import annotations

from sxp.config import Settings, repo_root
from sxp.entrypoints.settings_doc import BEGIN, END, settings_table


def test_readme_documents_every_setting_as_generated() -> None:
    readme = (repo_root() / "README.md").read_text()
    block = readme.partition(BEGIN)[2].partition(END)[0].strip()
    assert block == settings_table(), (
        "README.md's settings table is stale: run "
        "`.venv/bin/python -m sxp.entrypoints.settings_doc README.md`")
    for field in Settings.model_fields.values():
        assert f"| `{field.alias}` |" in block
