"""Write the calibration page for a lake: `python -m icsight.cli.calibration_page LAKE >
docs/calibration.md` (`make docs-calibration`)."""

from __future__ import annotations

import sys

from icsight.engine import open_lake
from icsight.synth.calibration import check, markdown


def main(lake_dir: str) -> None:
    """Print the calibration page (markdown) of the lake in `lake_dir`."""
    lake = open_lake(lake_dir)
    sys.stdout.write(markdown(check(lake), lake))


if __name__ == "__main__":
    main(sys.argv[1])
