"""DigitalOcean Function sxp/scan — see sxp.entrypoints.functions.scan."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.scan(args)
