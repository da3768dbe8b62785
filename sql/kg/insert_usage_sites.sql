INSERT INTO usage_sites (caller_sys_id, caller_table, caller_scope, target_sys_id, target_namespace, method, kind, line, start_byte)
SELECT caller_sys_id, caller_table, caller_scope, target_sys_id, target_namespace, method, kind, line, start_byte FROM rows_in;
