-- Per namespace document: the API it extends (if any) and its script, for the ranking sidecar.
SELECT d.sys_id, min(e.dst) AS extends_node, any_value(si.script) AS script
FROM (SELECT DISTINCT sys_id FROM documents) d
LEFT JOIN kg_edges e ON e.src = 'si:' || d.sys_id AND e.kind = 'extends'
LEFT JOIN script_includes si ON si.sys_id = d.sys_id
GROUP BY d.sys_id
ORDER BY d.sys_id;
