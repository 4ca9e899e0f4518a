-- gc-worker's orphan scan asks, for each page of storage keys, whether a blob row names the key: without this index
-- every page would read the whole blob table (S3 keys name the upload, not the digest, so the primary key cannot
-- answer).
create index blob_storage_key on blob (storage_key);
