"""DigitalOcean Function sxp/status — see sxp.entrypoints.functions.status."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.status(args)
