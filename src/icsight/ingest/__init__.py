"""Ingestion: source files (FHIR R4 JSON, XML and NDJSON, CSV and Parquet extracts) into the lake.

One load (`icsight.ingest.load.ingest`) passes through these rooms, each with one job:

    sources  ->  ledger  ->  parsers  ->  stage  ->  commit
    files,       skip what   Row /        validate,   merge into the lake's next version,
    folders,     was loaded  Rejected     pseudonym-  write quarantine, ledger, manifest,
    archives     before                   ise, quar-  swap it in atomically
                 (SHA-256)                antine

* `sources`: the files to read, privately copied: folders walked, archives unpacked with limits,
  links and hostile archives refused with a reason.
* `ledger`: each loaded file's SHA-256 (so a file is never loaded twice) and every load's
  reconciliation, kept in the lake.
* `parsers`: a registry of parsers by kind of file; `parsers.fhir` and `parsers.flat` (CSV,
  Parquet) turn files into `records.Row`s (canonical rows, identity not yet pseudonymised) and
  `records.Rejected`s (what could not be mapped, with the reason and the original payload).
* `stage`: rows checked (`validate`) and pseudonymised at the door; identifiable fields kept
  for the identifiable zone only; rejections become quarantine entries.
* `commit`: staged rows merged (appends, corrections by key, duplicates to quarantine) into the
  lake's next version, built with `icsight.lake` and swapped in whole.
* `report`: the `LoadReport` (received = loaded + quarantined per source and table), filled
  in by staging and commit;
* `load`: the orchestration above, `IngestError` and `load_history`.

To add a source feed, write one parser module in `parsers/` that registers itself, and add it
to the import line of `parsers/__init__.py`; nothing else changes (docs/ingestion.md, "Adding
a source feed").
"""
