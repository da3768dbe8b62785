SELECT sys_id, name, api_name, scope, access, client_callable, active, description, script, content_hash
FROM script_includes
ORDER BY name, sys_id;
