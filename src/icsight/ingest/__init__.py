"""Ingestion: source files (FHIR R4 Bundles and NDJSON, CSV and Parquet extracts) into the lake.

The flow is parse -> validate -> pseudonymise at the door -> load:

* a *parser* (`icsight.ingest.fhir`, `icsight.ingest.flat`) reads one source and yields
  `Row`s (a canonical row, identity not yet pseudonymised) and `Rejected`s (what could not be
  mapped, with the reason and the original payload);
* the *loader* (`icsight.ingest.load`) validates rows against the canonical model, turns
  identities into pseudonyms, keeps identifiable fields in the identifiable zone, writes bad
  rows to quarantine, and commits the load atomically, idempotently and incrementally.
"""
