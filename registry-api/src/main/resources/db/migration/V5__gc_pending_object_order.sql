-- gc-worker's objects collector claims the oldest pending objects a batch at a time (order by queued_at limit n for
-- update skip locked): with this index each batch reads its n rows in order instead of sorting the whole queue,
-- which after a mass deletion holds hundreds of thousands of rows.
create index gc_pending_object_queued on gc_pending_object (queued_at);
