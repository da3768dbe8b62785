SELECT 'sys_script_include' AS table_name, count(*) AS n FROM script_includes
UNION ALL
SELECT table_name, count(*) FROM scripts GROUP BY table_name
ORDER BY table_name;
