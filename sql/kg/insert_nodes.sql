INSERT INTO kg_nodes (node_id, kind, name, scope, usage_count, pagerank)
SELECT node_id, kind, name, scope, usage_count, pagerank FROM rows_in;
