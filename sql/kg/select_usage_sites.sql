SELECT u.caller_sys_id, u.caller_table, u.caller_scope, u.target_sys_id, u.target_namespace,
       u.method, u.kind, u.line, u.start_byte,
       COALESCE(sc.script, si.script) AS caller_script
FROM usage_sites u
LEFT JOIN scripts sc ON sc.sys_id = u.caller_sys_id
LEFT JOIN script_includes si ON si.sys_id = u.caller_sys_id
ORDER BY u.caller_sys_id, u.start_byte;
