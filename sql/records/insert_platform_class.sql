INSERT INTO platform_classes (sys_id, api_name, name, scope, deprecated, doc_json, source_file, package_version)
SELECT sys_id, api_name, name, scope, deprecated, doc_json, source_file, package_version FROM rows_in;
