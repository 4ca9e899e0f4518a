-- gc-worker's own state: runs, the workers taking part in them, and their results. The garbage itself is queued in
-- registry-api's schema (registry.gc_*), by triggers of the registry's tables.

create table run (
    id           uuid         primary key,
    state        varchar(16)  not null check (state in ('running', 'completed', 'failed')),
    dry_run      boolean      not null,
    collectors   text[]       not null,
    trigger      varchar(16)  not null,  -- api, schedule, event
    requested_by varchar(255),
    created_at   timestamptz  not null default now(),
    finished_at  timestamptz,
    error        text
);
create index run_active on run (created_at) where state = 'running';

-- One row per worker taking part in a run; a SINGLE collector is claimed by one worker (run_step).
create table run_worker (
    run_id       uuid         not null references run (id) on delete cascade,
    worker       varchar(255) not null,
    heartbeat_at timestamptz  not null default now(),
    finished_at  timestamptz,
    primary key (run_id, worker)
);

create table run_step (
    run_id      uuid         not null references run (id) on delete cascade,
    collector   varchar(32)  not null,
    worker      varchar(255),
    started_at  timestamptz,
    finished_at timestamptz,
    progress    text,
    primary key (run_id, collector)
);

create table run_result (
    run_id    uuid        not null references run (id) on delete cascade,
    collector varchar(32) not null,
    objects   bigint      not null default 0,
    bytes     bigint      not null default 0,
    errors    bigint      not null default 0,
    last_error text,
    primary key (run_id, collector)
);
