-- How often each method of each Script Include is called on the instance.
SELECT target_sys_id AS sys_id, method, count(*) AS n
FROM usage_sites WHERE method IS NOT NULL
GROUP BY target_sys_id, method;
