SELECT substr(node_id, 4) AS sys_id, usage_count, pagerank
FROM kg_nodes WHERE kind IN ('script_include', 'platform_class');
