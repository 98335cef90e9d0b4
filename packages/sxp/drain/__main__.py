"""DigitalOcean Function sxp/drain — see sxp.entrypoints.functions.drain."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.drain(args)
