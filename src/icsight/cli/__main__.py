"""`python -m icsight.cli`, as the `icsight` console script."""

from icsight.cli import main

main()
