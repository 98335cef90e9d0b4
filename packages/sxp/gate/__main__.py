"""DigitalOcean Function sxp/gate — see sxp.entrypoints.functions.gate."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.gate(args)
