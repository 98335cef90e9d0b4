"""DigitalOcean Function sxp/scan — see sxp.entrypoints.functions.scan."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.scan(args)
