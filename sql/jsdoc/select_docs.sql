SELECT j.sys_id, j.doc_json, j.status, s.name, s.api_name, s.scope, s.access, s.client_callable,
       s.active, s.description, s.script, s.content_hash
FROM jsdoc j JOIN script_includes s USING (sys_id)
ORDER BY s.name, j.sys_id;
