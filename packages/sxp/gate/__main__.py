"""DigitalOcean Function sxp/gate — see sxp.entrypoints.functions.gate."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.gate(args)
