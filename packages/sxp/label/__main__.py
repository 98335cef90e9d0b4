"""DigitalOcean Function sxp/label — see sxp.entrypoints.functions.label."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.label(args)
