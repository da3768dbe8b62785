-- A records load replaces the instance's records in one transaction.
DELETE FROM script_includes;
DELETE FROM scripts;
DELETE FROM applications;
DELETE FROM source_errors;
