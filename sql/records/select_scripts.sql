SELECT sys_id, table_name, name, scope, active, script
FROM scripts
ORDER BY sys_id;
