"""Load the labeling ruleset: `settings.rules_file`, or else the packaged `sxp/rules/v1.json`."""

from __future__ import annotations

from importlib import resources

from pydantic import ValidationError

from sxp.config import Settings
from sxp.domain.rules import Ruleset, parse_ruleset
from sxp.errors import ConfigError

PACKAGED_RULES = "v1.json"


def load_ruleset(settings: Settings) -> Ruleset:
    """Read and validate the rules file; a broken file is a ConfigError naming the problem."""
    if settings.rules_file is not None:
        try:
            raw = settings.rules_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read rules file {settings.rules_file}: {exc}",
                              "rules_unreadable") from exc
        origin = str(settings.rules_file)
    else:
        raw = resources.files("sxp").joinpath("rules", PACKAGED_RULES).read_bytes()
        origin = f"sxp/rules/{PACKAGED_RULES}"
    try:
        return parse_ruleset(raw)
    except ValidationError as exc:
        raise ConfigError(f"invalid rules file {origin}: {exc.error_count()} error(s): "
                          f"{exc.errors()[0]['msg']}", "rules_invalid") from exc
