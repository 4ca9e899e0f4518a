-- Repository names in code point order (collation "C"), whatever the database's collation: the order of the
-- repository list, and the ranges a caller's pullable globs narrow names to (public/** -> name >= 'public/' and
-- name < 'public0'), both served by this index instead of a scan of the table.
create index repository_name_c on repository (name collate "C");
