INSERT INTO source_errors (origin, record, message) SELECT origin, record, message FROM rows_in;
