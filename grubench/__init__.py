"""grubench: matched GRU vs LSTM benchmarks with measurements instead of opinions."""

__version__ = "0.1.0"
SCHEMA_VERSION = 1
