INSERT INTO source_errors (origin, record, message) VALUES (?, ?, ?);
