-- Gate: every edge joins two nodes that exist.
SELECT e.src, e.dst, e.kind
FROM kg_edges e
LEFT JOIN kg_nodes a ON a.node_id = e.src
LEFT JOIN kg_nodes b ON b.node_id = e.dst
WHERE a.node_id IS NULL OR b.node_id IS NULL;
