"""The package/scope knowledge graph and the access rule it answers."""
