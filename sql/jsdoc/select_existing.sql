SELECT sys_id, content_hash, backend, doc_json, status, error FROM jsdoc;
