SELECT c.caller_sys_id, COALESCE(sc.script, si.script) AS caller_script
FROM (SELECT DISTINCT caller_sys_id FROM usage_sites) c
LEFT JOIN scripts sc ON sc.sys_id = c.caller_sys_id
LEFT JOIN script_includes si ON si.sys_id = c.caller_sys_id;
