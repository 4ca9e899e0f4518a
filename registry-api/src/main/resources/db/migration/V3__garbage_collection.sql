-- Garbage collection (gc-worker, docs/garbage-collection.md). The registry's own writes queue what may have become
-- garbage, by triggers, so that no change can forget to (a repository deleted by cascade included) and no collector
-- needs a full scan to find it. Candidates are hints: a collector decides on each one again under row locks, and a
-- lost candidate only keeps garbage longer (the periodic mark finds it), never deletes anything in use.

-- When a repository last used the blob: set when linked, refreshed by a mount of it and by a blob HEAD there (at most
-- once per registry.gc.touch-interval). A link is collected only when this and the blob's last_touched_at are past the
-- grace period.
alter table repository_blob add column last_touched_at timestamptz not null default now();

-- Blobs that lost a link: collected when no repository links them, no manifest references them and they were not
-- touched within the grace period. not_before: a collector that found one still in grace looks again then.
create table gc_blob_candidate (
    digest     varchar(150) primary key,
    not_before timestamptz  not null default now()
);
create index gc_blob_candidate_due on gc_blob_candidate (not_before);

-- Links that may be unused: every new link (an upload whose manifest may never come), and the links of the
-- config and layers of a deleted manifest. Collected when no manifest of the repository references the digest and
-- the link is past the grace period. No foreign key: a candidate of a deleted repository is simply dropped.
create table gc_link_candidate (
    repository_id bigint       not null,
    digest        varchar(150) not null,
    not_before    timestamptz  not null default now(),
    primary key (repository_id, digest)
);
create index gc_link_candidate_due on gc_link_candidate (not_before);

-- Storage objects whose blob row is gone, to be deleted from storage. A row is written in the transaction that
-- deletes the blob row; the collector deletes the object and then this row (in one transaction that holds the row
-- lock while it deletes), so a killed collector leaves the row for the next run. An upload that commits the same
-- digest first claims (deletes) these rows and removes the old object itself, before its own object takes the
-- place: on the filesystem both have the same path, and the old deletion must never remove the new file.
create table gc_pending_object (
    storage_key varchar(512) primary key,
    digest      varchar(150) not null,
    size        bigint       not null,
    queued_at   timestamptz  not null default now()
);
create index gc_pending_object_digest on gc_pending_object (digest);

-- The triggers fire for every writer, also for sessions whose search_path does not name this schema (gc-worker's, an
-- operator's psql): their functions keep the search_path of this migration (the registry's schema).
create function gc_queue_unlinked_blobs() returns trigger language plpgsql set search_path from current as $$
begin
    insert into gc_blob_candidate (digest) select digest from unlinked on conflict do nothing;
    return null;
end $$;
create trigger repository_blob_unlinked after delete on repository_blob
    referencing old table as unlinked for each statement execute function gc_queue_unlinked_blobs();

create function gc_queue_new_links() returns trigger language plpgsql set search_path from current as $$
begin
    insert into gc_link_candidate (repository_id, digest) select repository_id, digest from linked
        on conflict do nothing;
    return null;
end $$;
create trigger repository_blob_linked after insert on repository_blob
    referencing new table as linked for each statement execute function gc_queue_new_links();

-- Before the row goes: its references are still there (a cascade deletes them after).
create function gc_queue_manifest_blobs() returns trigger language plpgsql set search_path from current as $$
begin
    insert into gc_link_candidate (repository_id, digest)
        select old.repository_id, r.digest from manifest_reference r
        where r.manifest_id = old.id and r.kind in ('config', 'layer')
        on conflict do nothing;
    return old;
end $$;
create trigger manifest_deleted before delete on manifest
    for each row execute function gc_queue_manifest_blobs();
