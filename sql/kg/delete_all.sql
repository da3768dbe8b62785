DELETE FROM kg_nodes;
DELETE FROM kg_edges;
DELETE FROM usage_sites;
