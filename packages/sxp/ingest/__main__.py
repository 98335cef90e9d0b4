"""DigitalOcean Function sxp/ingest — see sxp.entrypoints.functions.ingest."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.ingest(args)
