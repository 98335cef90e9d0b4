"""The steps of the pipeline, one module each, in the data's order:

    scan      inbox objects → source files (once per bucket, key, ETag) + an ingest job each
    pull      handles → platform API → an inbox object, registered like a dropped file
    ingest    a source file → Tier 1 + staged normalized parts + rejects (ingest_rows,
              ingest_parallel and ingest_native are its row, block and native paths)
    cards     changed Tier 1 profiles → lead cards (scores, enrichment inputs) + a staged part
    label     cards with stale labels → labels from the rules file
    gate      labeled cards → enrichment batches within each provider's credit budget
    enrich    a batch → provider calls (stored before applied) → Tier 2, settled credits
              (enrich_settle closes the batch)
    export    ready cards → a Lead Card Batch v1 bundle, published with its audit event
    verify    a bundle's manifest → checked sha256, sizes, counts and schema

A step holds no SQL: it calls the repositories of `sxp.adapters.postgres` and the ports of
`sxp.adapters`. `jobs` names each job kind, its payload and its step; `runner` (with
`claimer`) is the one loop that runs them; `run` is one pass of the whole pipeline (`sxp run`);
`status` and `imports` serve the CLI and the API.
"""
