"""DigitalOcean Function sxp/cards — see sxp.entrypoints.functions.cards."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.cards(args)
