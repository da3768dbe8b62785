-- Which Script Includes may code running in scope ? call: active ones of its own scope,
-- and active public ones of any other scope. The rule mirrors deepcodeseek.kg.access.
SELECT s.sys_id, s.name, s.api_name, s.scope, s.access,
       CASE WHEN s.scope = $scope THEN 'same scope' ELSE 'public' END AS rule
FROM script_includes s
WHERE s.active AND (s.scope = $scope OR s.access = 'public')
ORDER BY s.api_name;
