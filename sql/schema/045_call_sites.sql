-- Call sites found in each caller, reused while its script and the set of known names are unchanged.
CREATE TABLE IF NOT EXISTS call_site_cache (
    caller_sys_id  VARCHAR PRIMARY KEY,
    content_hash   VARCHAR NOT NULL,
    names_digest   VARCHAR NOT NULL,
    sites_json     VARCHAR NOT NULL
);
