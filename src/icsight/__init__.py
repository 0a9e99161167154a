"""icsight: open population-health intelligence for an NHS Integrated Care System."""

__version__ = "0.1.0"
