"""The lake: where canonical tables live on disk, and the only code that knows the layout.

    LAKE/
      manifest.json                 what wrote it, when, from which seed, row counts
      analytics/<table>.parquet     the pseudonymised analytics store (and reference tables)
      identifiable/<table>.parquet  the identifiable zone: NHS numbers, names, addresses
      ingest/ledger.json            every file loaded, and each load's reconciliation

Every writer (the generator, ingestion) builds the next version beside the lake with a
`LakeWriter` or `new_version` and swaps it in whole (`swap_in`); every reader finds a table with
`table_path`; `open_lake` (in `icsight.engine`) first puts back a lake left between the two
renames of a swap (`recover`). Nothing else spells a path inside a lake.

One writer at a time: every writer holds the lake's lock (`lake_lock`, a file beside the lake)
from before it reads the lake until its swap; what it creates is private (0600/0700) from the
start; a full disk is a `LakeFullError` saying the lake is unchanged (`icsight.lake.lock`).
"""

from icsight.lake.errors import LakeBusyError, LakeError, LakeFullError
from icsight.lake.layout import (
    ANALYTICS,
    IDENTIFIABLE,
    MANIFEST,
    is_lake,
    read_manifest,
    record_path,
    table_path,
    write_manifest,
    zone_path,
)
from icsight.lake.lock import (
    lake_lock,
    lock_path,
    private_files,
    writing,
)
from icsight.lake.swap import (
    leftovers,
    new_version,
    previous_path,
    recover,
    swap_in,
    work_folder,
)
from icsight.lake.writer import LakeWriter, write_table

__all__ = [
    "ANALYTICS", "IDENTIFIABLE", "MANIFEST", "LakeBusyError", "LakeError", "LakeFullError",
    "LakeWriter", "is_lake", "lake_lock", "leftovers", "lock_path", "new_version", "previous_path",
    "private_files", "read_manifest", "record_path", "recover", "swap_in", "table_path",
    "work_folder", "write_manifest", "write_table", "writing", "zone_path",
]
