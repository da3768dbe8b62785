INSERT INTO script_includes
    (sys_id, name, api_name, scope, access, client_callable, active, description, script, sys_updated_on, content_hash, origin)
SELECT sys_id, name, api_name, scope, access, client_callable, active, description, script, sys_updated_on, content_hash, origin
FROM rows_in;
