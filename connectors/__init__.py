"""Vendor connectors: plain Python, no Dagster.

Entry points: `connectors.streams.STREAMS` (what can be ingested), `connectors.ingest.ingest_stream`
(fetch, land, load, advance the cursor) and `connectors.ingest.replay_landing` (load landed pages
again without the API); settings come from `connectors.config.HubConfig.from_env()`.
"""
