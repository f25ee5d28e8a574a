"""Sweeps: grids of training settings × seeds, trained and analysed as Dask jobs (``rnntool
sweep``, ``docs/sweeps.md``)."""
