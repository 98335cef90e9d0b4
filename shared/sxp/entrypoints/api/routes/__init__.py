"""One router module per resource of the sxp API."""
