-- catalog-service's read model: built only from registry-api's events (or rebuilt from its tables, see
-- admin/RebuildRepository), never written by anything else. Names are the registry's names; no surrogate keys.

-- Trigram index support for prefix and substring search (q=). pg_trgm is a trusted extension (PostgreSQL 13+):
-- a database owner may create it. Installed in public so that any schema's search path finds its operators.
create extension if not exists pg_trgm with schema public;

create table repository (
    name         text        primary key,
    created_at   timestamptz not null,
    -- the latest push time of what the repository still holds (max of its manifests' and tags' push times)
    last_push_at timestamptz,
    tag_count    integer     not null default 0,
    -- unique bytes: the distinct blobs (config and layers) of all its manifests, each counted once
    size         bigint      not null default 0
);
create index repository_name_trgm on repository using gin (name public.gin_trgm_ops);
create index repository_last_push on repository (last_push_at, name);
create index repository_size on repository (size, name);

-- Every manifest of a repository, with what the catalog shows of it (parsed from its payload).
create table manifest (
    repository        text        not null references repository (name) on delete cascade,
    digest            text        not null,
    media_type        text        not null,
    artifact_type     text,
    subject           text,
    -- the manifest's own bytes
    size              bigint      not null,
    -- manifest + config + layers; for an index: the index + the distinct blobs of its children in the repository
    total_size        bigint      not null,
    config_digest     text,
    config_media_type text,
    -- [{"digest","mediaType","size"}] in manifest order
    layers            jsonb       not null default '[]',
    annotations       jsonb       not null default '{}',
    -- os/arch[/variant] of an index's children, in index order
    platforms         text[]      not null default '{}',
    pushed_at         timestamptz not null,
    primary key (repository, digest)
);
create index manifest_subject on manifest (repository, subject) where subject is not null;

-- Blobs (config and layers) of each manifest: the repository's unique bytes are summed from here.
create table manifest_blob (
    repository      text   not null,
    manifest_digest text   not null,
    blob_digest     text   not null,
    size            bigint not null,
    primary key (repository, manifest_digest, blob_digest),
    foreign key (repository, manifest_digest) references manifest (repository, digest) on delete cascade
);
create index manifest_blob_blob on manifest_blob (repository, blob_digest);

create table tag (
    repository    text        not null references repository (name) on delete cascade,
    name          text        not null,
    digest        text        not null,
    media_type    text        not null,
    artifact_type text,
    size          bigint      not null,
    platforms     text[]      not null default '{}',
    pushed_at     timestamptz not null,
    pushed_by     text,
    primary key (repository, name),
    foreign key (repository, digest) references manifest (repository, digest) on delete cascade
);
create index tag_name_trgm on tag using gin (name public.gin_trgm_ops);
create index tag_pushed_at on tag (repository, pushed_at, name);
create index tag_digest on tag (repository, digest);


-- Labels and platform of image configs, by config digest: content-addressed, so a rebuild keeps them. Filled
-- asynchronously from registry-api (bus request berth.registry.blob.read); a manifest without a row here
-- simply has no labels yet.
create table config_info (
    digest      text        primary key,
    labels      jsonb       not null default '{}',
    platform    text,
    fetched_at  timestamptz not null default now()
);

-- The last outbox position applied to this read model: updated in the transaction of each applied change.
create table consumer_state (
    id            smallint    primary key check (id = 1),
    last_position bigint      not null,
    updated_at    timestamptz not null default now()
);
insert into consumer_state (id, last_position) values (1, 0);

-- A stored manifest's payload as JSON, or null when it is not UTF-8 JSON that jsonb accepts (a \u0000 in a
-- string, say): such a manifest is shown with what its row says, and never stops the consumer or a rebuild.
create function payload_json(payload bytea) returns jsonb language plpgsql immutable as $$
begin
    return convert_from(payload, 'UTF8')::jsonb;
exception when others then
    return null;
end
$$;

-- The referrers of a manifest are the manifests of its repository whose subject it is.
create view referrer as
    select repository, subject, digest, artifact_type, media_type, size, pushed_at from manifest where subject is not null;
