INSERT OR REPLACE INTO jsdoc (sys_id, namespace, api_name, content_hash, backend, doc_json, status, error)
SELECT sys_id, namespace, api_name, content_hash, backend, doc_json, status, error FROM rows_in;
