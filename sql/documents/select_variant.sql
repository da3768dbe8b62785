SELECT sys_id, variant, namespace, api_name, scope, access, active, client_callable, kind,
       methods, usage_count, pagerank, text, text_hash
FROM documents WHERE variant = ? ORDER BY api_name, sys_id;
