INSERT INTO applications (scope, name, sys_id, kind, version, vendor) VALUES (?, ?, ?, ?, ?, ?);
