SELECT sys_id, name, api_name, scope, access, client_callable, active, description, script, sys_updated_on, origin
FROM script_includes ORDER BY sys_id;
