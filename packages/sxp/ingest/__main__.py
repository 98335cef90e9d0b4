"""DigitalOcean Function sxp/ingest — see sxp.entrypoints.functions.ingest."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.ingest(args)
