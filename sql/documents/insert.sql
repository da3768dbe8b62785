INSERT INTO documents (sys_id, variant, namespace, api_name, scope, access, active, client_callable, kind,
                       methods, usage_count, pagerank, text, text_hash)
SELECT sys_id, variant, namespace, api_name, scope, access, active, client_callable, kind,
       methods, usage_count, pagerank, text, text_hash
FROM rows_in;
