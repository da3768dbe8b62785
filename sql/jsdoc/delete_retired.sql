-- Summaries of Script Includes that are no longer in the records.
DELETE FROM jsdoc WHERE sys_id NOT IN (SELECT sys_id FROM script_includes);
