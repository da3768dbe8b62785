DELETE FROM call_site_cache
WHERE caller_sys_id NOT IN (SELECT sys_id FROM script_includes UNION ALL SELECT sys_id FROM scripts);
