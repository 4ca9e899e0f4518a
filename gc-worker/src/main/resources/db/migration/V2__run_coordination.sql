-- At most one run is active: the API answers 409 and the scheduler skips while one runs. The index is the guard
-- that holds when several workers (or requests) create runs at the same moment.
create unique index run_one_active on run ((true)) where state = 'running';

-- A collector that failed in a run: the run ends "failed" with these errors.
alter table run_step add column error text;
