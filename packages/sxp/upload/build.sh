#!/usr/bin/env bash
# Run by `doctl serverless deploy` (local build) in this folder: vendors sxp and its runtime deps.
exec bash ../build-function.sh
