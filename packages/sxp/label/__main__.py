"""DigitalOcean Function sxp/label — see sxp.entrypoints.functions.label."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.label(args)
