SELECT caller_sys_id, content_hash, names_digest, sites_json FROM call_site_cache;
