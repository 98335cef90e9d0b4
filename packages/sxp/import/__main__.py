"""DigitalOcean Function sxp/import — see sxp.entrypoints.functions.import_."""
from sxp.entrypoints import functions


def main(args: dict, context: object = None) -> dict:  # DO passes (event, context)
    return functions.import_(args)
