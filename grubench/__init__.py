"""grubench: matched GRU vs LSTM benchmarks with measurements instead of opinions."""

__version__ = "0.1.0"
# 2: records are TrialResults (role, lr, lr_grid, converged, peak_eval_mb, node; peak_mem_mb
# is training only). Version 1 files are read, missing fields taking their defaults.
SCHEMA_VERSION = 2
