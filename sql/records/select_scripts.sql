SELECT sys_id, table_name, name, scope, active, script, content_hash
FROM scripts
ORDER BY sys_id;
