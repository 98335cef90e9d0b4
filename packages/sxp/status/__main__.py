"""DigitalOcean Function sxp/status — see sxp.entrypoints.functions.status."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.status(args)
