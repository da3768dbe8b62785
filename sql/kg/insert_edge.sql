INSERT INTO kg_edges (src, dst, kind, weight) VALUES (?, ?, ?, ?);
