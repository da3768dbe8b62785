-- Gate: a sys_id must name one record across both record tables.
SELECT sys_id, count(*) AS n
FROM (SELECT sys_id FROM script_includes UNION ALL SELECT sys_id FROM scripts)
GROUP BY sys_id
HAVING count(*) > 1;
