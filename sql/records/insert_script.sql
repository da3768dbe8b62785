INSERT INTO scripts
    (sys_id, table_name, name, scope, active, script, sys_updated_on, content_hash, origin, extra)
SELECT sys_id, table_name, name, scope, active, script, sys_updated_on, content_hash, origin, extra
FROM rows_in;
