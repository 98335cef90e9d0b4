"""DigitalOcean Function sxp/cards — see sxp.entrypoints.functions.cards."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.cards(args)
