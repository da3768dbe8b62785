SELECT sys_id, api_name, name, scope, deprecated, doc_json FROM platform_classes ORDER BY api_name;
