"""DigitalOcean Function sxp/drain — see sxp.entrypoints.functions.drain."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.drain(args)
