-- The outbox becomes the event contract (dev.berth.core.event.RegistryEvent, version 1).
-- Writers insert rows with position null; the one relay assigns gapless positions in the order rows become
-- visible (committed), so a consumer reading "position > last" can never skip a row whose transaction took a
-- lower sequence but committed later. The sequence only identifies a row.
alter table outbox
    add column version       smallint     not null default 1,
    add column artifact_type varchar(255),
    add column size          bigint,
    add column platforms     text[],
    add column subject       varchar(150),
    add column actor         varchar(255),
    add column position      bigint unique;

-- The relay's work queue: rows not yet positioned.
create index outbox_unpositioned on outbox (sequence) where position is null;

-- One row: the next position to assign and the lease of the replica whose relay assigns it. The relay
-- locks this row while it positions a batch, so two relays (a lease that expired under a live holder)
-- serialise instead of handing out a position twice.
create table outbox_relay (
    id            smallint     primary key check (id = 1),
    next_position bigint       not null,
    holder        varchar(255),
    lease_until   timestamptz
);
insert into outbox_relay (id, next_position) values (1, 1);

-- The last position each consumer has applied, reported by the consumers; rows below every consumer's
-- position and older than the retention period are pruned.
create table outbox_consumer (
    name       varchar(64) primary key,
    position   bigint      not null,
    updated_at timestamptz not null default now()
);
