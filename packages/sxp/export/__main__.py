"""DigitalOcean Function sxp/export — see sxp.entrypoints.functions.export."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.export(args)
