-- Up Migration
-- This catalog's identity: DATA_DIR/catalog-identity names it once the catalog uses that DATA_DIR, so an instance
-- started with another database (whose catalog lists none of the files) is refused instead of clearing them.
CREATE TABLE catalog_identity (id text PRIMARY KEY);
INSERT INTO catalog_identity (id) VALUES (gen_random_uuid()::text);

-- Down Migration
DROP TABLE catalog_identity;
