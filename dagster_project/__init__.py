"""The Dagster project that builds DeepCodeSeek's indexes (see ``definitions.py``)."""
