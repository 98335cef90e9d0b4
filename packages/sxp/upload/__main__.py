"""DigitalOcean Function sxp/upload — see sxp.entrypoints.functions.upload."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.upload(args)
