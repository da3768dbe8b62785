INSERT INTO kg_edges (src, dst, kind, weight) SELECT src, dst, kind, weight FROM rows_in;
