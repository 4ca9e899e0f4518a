-- Registry metadata. Blob bytes live in storage; these tables say what exists and where.

create table repository (
    id          bigserial primary key,
    name        varchar(255) not null unique,
    created_at  timestamptz  not null default now()
);

-- One row per stored blob (content-addressed, shared by every repository that links it).
create table blob (
    digest          varchar(150) primary key,
    size            bigint       not null,
    storage_key     varchar(512) not null,
    created_at      timestamptz  not null default now(),
    last_touched_at timestamptz  not null default now()
);

-- A blob is readable in a repository only when linked there.
create table repository_blob (
    id            bigserial primary key,
    repository_id bigint       not null references repository (id) on delete cascade,
    digest        varchar(150) not null references blob (digest),
    linked_at     timestamptz  not null default now(),
    unique (repository_id, digest)
);
create index repository_blob_digest on repository_blob (digest);

create table manifest (
    id             bigserial primary key,
    repository_id  bigint       not null references repository (id) on delete cascade,
    digest         varchar(150) not null,
    media_type     varchar(255) not null,
    artifact_type  varchar(255),
    subject_digest varchar(150),
    annotations    text,
    size           bigint       not null,
    payload        bytea        not null,
    created_at     timestamptz  not null default now(),
    unique (repository_id, digest)
);
create index manifest_subject on manifest (repository_id, subject_digest) where subject_digest is not null;

-- What a manifest points at: config, layer, child manifest or subject.
create table manifest_reference (
    id          bigserial primary key,
    manifest_id bigint       not null references manifest (id) on delete cascade,
    digest      varchar(150) not null,
    kind        varchar(16)  not null
);
create index manifest_reference_manifest on manifest_reference (manifest_id);
create index manifest_reference_digest on manifest_reference (digest);

create table tag (
    id            bigserial primary key,
    repository_id bigint       not null references repository (id) on delete cascade,
    name          varchar(128) not null,
    manifest_id   bigint       not null references manifest (id) on delete cascade,
    updated_at    timestamptz  not null default now(),
    unique (repository_id, name)
);

-- Upload state survives restarts and is shared by replicas.
create table upload_session (
    id             uuid primary key,
    repository_id  bigint        not null references repository (id) on delete cascade,
    storage_handle varchar(2048) not null,
    committed_size bigint        not null default 0,
    hash_state     text,
    created_at     timestamptz   not null default now(),
    updated_at     timestamptz   not null default now()
);

-- Written in the same transaction as each change; the sequence is the order of truth.
create table outbox (
    sequence    bigserial primary key,
    event_type  varchar(64)  not null,
    repository  varchar(255) not null,
    digest      varchar(150),
    tag         varchar(128),
    media_type  varchar(255),
    occurred_at timestamptz  not null default now()
);
