"""Software-defined assets, one module per pipeline stage, all partitioned by instance."""
