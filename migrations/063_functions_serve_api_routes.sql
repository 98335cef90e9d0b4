-- The web functions (import, upload, status) answer the API's routes: their user checks API
-- keys and records imports like the sxp-api user does.
GRANT sxp_api TO sxp_functions_svc;
