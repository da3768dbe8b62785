SELECT u.caller_sys_id, u.caller_table, u.caller_scope, u.target_sys_id, u.target_namespace,
       u.method, u.kind, u.line, u.start_byte
FROM usage_sites u
ORDER BY u.caller_sys_id, u.start_byte;
