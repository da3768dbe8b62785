INSERT OR REPLACE INTO call_site_cache (caller_sys_id, content_hash, names_digest, sites_json)
SELECT caller_sys_id, content_hash, names_digest, sites_json FROM rows_in;
