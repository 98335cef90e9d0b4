"""DigitalOcean Function sxp/export — see sxp.entrypoints.functions.export."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.export(args)
