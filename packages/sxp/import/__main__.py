"""DigitalOcean Function sxp/import — see sxp.entrypoints.functions.import_."""
from sxp.entrypoints import functions


def main(args: dict) -> dict:
    return functions.import_(args)
