SELECT sys_id, table_name, name, scope, active, script, sys_updated_on, origin, extra
FROM scripts ORDER BY sys_id;
