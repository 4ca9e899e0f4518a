package dev.berth.catalog.projection;

/**
 * The SQL that turns registry-api's tables into the read model, shared by the event consumer (one manifest or
 * tag at a time) and the rebuild (everything at once), so that both produce the same rows: what a manifest
 * shows (layers, sizes, platforms, annotations) is always parsed from its stored payload in
 * {@code registry.manifest} by the same statement; only the filter differs.
 */
public final class Projection {
    private Projection() {
    }

    /** Index media types whose children are manifests (their sizes come from the children's blobs). */
    public static final String IS_INDEX = "coalesce(jsonb_typeof(catalog.payload_json(m.payload)->'manifests') = 'array', false)";

    /**
     * Copies the manifests of {@code registry.manifest} matching {@code filter} (SQL over {@code m}, the manifest,
     * and {@code r}, its repository) into {@code catalog.manifest} and {@code catalog.manifest_blob}, unless
     * already there. An index's total size counts the distinct blobs of its children already in the read model,
     * so a rebuild copies images before indexes. Yields the number of manifests copied.
     */
    public static String copyManifests(String filter) {
        return copyManifests(filter, "select count(*) from ins");
    }

    /** As {@link #copyManifests(String)}, ending in {@code result} (over {@code ins}: repository, digest, config). */
    static String copyManifests(String filter, String result) {
        return """
                with src as (
                  select r.name as repository, m.digest, m.media_type, m.artifact_type, m.subject_digest, m.size,
                         m.created_at, catalog.payload_json(m.payload) as doc
                  from registry.manifest m join registry.repository r on r.id = m.repository_id
                  where %s
                ),
                parsed as (
                  select s.*,
                    case when jsonb_typeof(s.doc->'layers') = 'array' then s.doc->'layers' else '[]'::jsonb end as layer_list,
                    case when jsonb_typeof(s.doc->'config') = 'object' then s.doc->'config' end as config,
                    case when jsonb_typeof(s.doc->'manifests') = 'array' then s.doc->'manifests' else '[]'::jsonb end as children
                  from src s
                ),
                blobs as (
                  select p.repository, p.digest as manifest_digest, x.b->>'digest' as blob_digest, max((x.b->>'size')::bigint) as size
                  from parsed p cross join lateral (select p.config union all select jsonb_array_elements(p.layer_list)) x(b)
                  where x.b is not null and x.b->>'digest' is not null and jsonb_typeof(x.b->'size') = 'number'
                  group by 1, 2, 3
                ),
                ins as (
                  insert into catalog.manifest (repository, digest, media_type, artifact_type, subject, size, total_size,
                      config_digest, config_media_type, layers, annotations, platforms, pushed_at)
                  select p.repository, p.digest, p.media_type, p.artifact_type, p.subject_digest, p.size,
                    p.size
                      + coalesce((select sum(b.size) from blobs b where b.repository = p.repository and b.manifest_digest = p.digest), 0)
                      + coalesce((select sum(c.size) from (select distinct mb.blob_digest, mb.size from catalog.manifest_blob mb
                          where mb.repository = p.repository
                          and mb.manifest_digest in (select ch->>'digest' from jsonb_array_elements(p.children) ch)) c), 0),
                    p.config->>'digest', p.config->>'mediaType',
                    coalesce((select jsonb_agg(jsonb_build_object('digest', l->>'digest', 'mediaType', l->>'mediaType',
                        'size', l->'size') order by o) from jsonb_array_elements(p.layer_list) with ordinality y(l, o)), '[]'::jsonb),
                    case when jsonb_typeof(p.doc->'annotations') = 'object' then p.doc->'annotations' else '{}'::jsonb end,
                    coalesce((select array_agg(concat_ws('/', c->'platform'->>'os', c->'platform'->>'architecture',
                        c->'platform'->>'variant') order by o) from jsonb_array_elements(p.children) with ordinality z(c, o)
                        where c->'platform'->>'os' is not null and c->'platform'->>'os' <> 'unknown'), '{}'::text[]),
                    p.created_at
                  from parsed p
                  on conflict (repository, digest) do nothing
                  returning repository, digest, config_digest, config_media_type
                ),
                insb as (
                  insert into catalog.manifest_blob (repository, manifest_digest, blob_digest, size)
                  select b.repository, b.manifest_digest, b.blob_digest, b.size
                  from blobs b join ins on ins.repository = b.repository and ins.digest = b.manifest_digest
                  on conflict do nothing
                )
                %s
                """.formatted(filter, result);
    }

    /**
     * One manifest: {@code $1} repository, {@code $2} digest. Yields its config digest and media type when it was
     * copied, no row when it was there already or registry-api no longer holds it.
     */
    public static final String COPY_ONE_MANIFEST = copyManifests("r.name = $1 and m.digest = $2",
            "select config_digest, config_media_type from ins");

    /**
     * Many manifests at once: {@code $1} repositories, {@code $2} digests (text[], pairwise), copied when they match
     * {@code filter} as well ({@link #IS_INDEX} or not: images go first, so that an index pushed in the same batch
     * counts its children's blobs). Yields repository, config digest and config media type of each one copied.
     */
    public static String copyManyManifests(String filter) {
        return copyManifests("(r.name, m.digest) in (select * from unnest($1::text[], $2::text[])) and " + filter,
                "select repository, config_digest, config_media_type from ins");
    }

    public static final String COPY_MANY_IMAGES = copyManyManifests("not " + IS_INDEX);
    public static final String COPY_MANY_INDEXES = copyManyManifests(IS_INDEX);

    /**
     * As {@link #INSERT_MANIFEST_FROM_EVENT} for many manifests (arrays, pairwise): repositories, digests, media
     * types, artifact types, subjects, sizes, platforms (each joined by newlines), times. Run after the copies, it
     * only adds what they did not find in registry-api.
     */
    public static final String INSERT_MANIFESTS_FROM_EVENTS = """
            insert into catalog.manifest (repository, digest, media_type, artifact_type, subject, size, total_size,
                platforms, pushed_at)
            select u.repository, u.digest, coalesce(u.media_type, 'application/octet-stream'), u.artifact_type, u.subject,
                u.size, u.size, case when u.platforms = '' then '{}'::text[] else string_to_array(u.platforms, E'\\n') end, u.at
            from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::text[], $8::timestamptz[])
                as u(repository, digest, media_type, artifact_type, subject, size, platforms, at)
            on conflict (repository, digest) do nothing
            """;

    /** As {@link #ENSURE_REPOSITORY} for many: {@code $1} names, {@code $2} times (distinct names). */
    public static final String ENSURE_REPOSITORIES = """
            insert into catalog.repository (name, created_at)
            select u.name, coalesce((select r.created_at from registry.repository r where r.name = u.name), u.at)
            from unnest($1::text[], $2::timestamptz[]) as u(name, at)
            on conflict (name) do nothing
            """;

    /**
     * As {@link #UPSERT_TAG} for many (arrays, pairwise, each repository and tag once): repositories, tags,
     * digests, times, actors.
     */
    public static final String UPSERT_TAGS = """
            insert into catalog.tag (repository, name, digest, media_type, artifact_type, size, platforms, pushed_at, pushed_by)
            select m.repository, u.tag, m.digest, m.media_type, m.artifact_type, m.total_size, m.platforms, u.at, u.actor
            from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) as u(repository, tag, digest, at, actor)
            join catalog.manifest m on m.repository = u.repository and m.digest = u.digest
            on conflict (repository, name) do update set digest = excluded.digest, media_type = excluded.media_type,
                artifact_type = excluded.artifact_type, size = excluded.size, platforms = excluded.platforms,
                pushed_at = excluded.pushed_at, pushed_by = excluded.pushed_by
            where tag.digest <> excluded.digest
            """;

    /**
     * A manifest that registry-api no longer holds (deleted before this event was applied): shown with what the
     * event says, until its manifest.deleted event removes it. {@code $1..$8}: repository, digest, media type,
     * artifact type, subject, size, platforms, time.
     */
    public static final String INSERT_MANIFEST_FROM_EVENT = """
            insert into catalog.manifest (repository, digest, media_type, artifact_type, subject, size, total_size,
                platforms, pushed_at)
            values ($1, $2, coalesce($3, 'application/octet-stream'), $4, $5, coalesce($6, 0), coalesce($6, 0), $7, $8)
            on conflict (repository, digest) do nothing
            """;

    /**
     * A repository, created at the registry's own creation time when it still exists there, else at the event's
     * time ({@code $2}).
     */
    public static final String ENSURE_REPOSITORY = """
            insert into catalog.repository (name, created_at)
            values ($1, coalesce((select created_at from registry.repository where name = $1), $2))
            on conflict (name) do nothing
            """;

    /**
     * A tag points at a manifest of the read model: {@code $1} repository, {@code $2} tag, {@code $3} digest,
     * {@code $4} time, {@code $5} actor. A tag that already points there keeps its push time and pusher (as the
     * registry keeps {@code tag.updated_at}).
     */
    public static final String UPSERT_TAG = """
            insert into catalog.tag (repository, name, digest, media_type, artifact_type, size, platforms, pushed_at, pushed_by)
            select m.repository, $2, m.digest, m.media_type, m.artifact_type, m.total_size, m.platforms, $4, $5
            from catalog.manifest m where m.repository = $1 and m.digest = $3
            on conflict (repository, name) do update set digest = excluded.digest, media_type = excluded.media_type,
                artifact_type = excluded.artifact_type, size = excluded.size, platforms = excluded.platforms,
                pushed_at = excluded.pushed_at, pushed_by = excluded.pushed_by
            where tag.digest <> excluded.digest
            """;

    /**
     * Every tag of the registry, with its pusher taken from the outbox row of the change that set it (same
     * repository, tag, digest and time) while the outbox still holds it; null after the row was pruned.
     */
    public static final String COPY_ALL_TAGS = """
            with pusher as (
              select distinct on (o.repository, o.tag, o.digest, o.occurred_at) o.repository, o.tag, o.digest, o.occurred_at, o.actor
              from registry.outbox o where o.event_type = 'tag.updated'
              order by o.repository, o.tag, o.digest, o.occurred_at, o.position desc nulls first, o.sequence desc
            )
            insert into catalog.tag (repository, name, digest, media_type, artifact_type, size, platforms, pushed_at, pushed_by)
            select r.name, t.name, cm.digest, cm.media_type, cm.artifact_type, cm.total_size, cm.platforms, t.updated_at, p.actor
            from registry.tag t
            join registry.repository r on r.id = t.repository_id
            join registry.manifest m on m.id = t.manifest_id
            join catalog.manifest cm on cm.repository = r.name and cm.digest = m.digest
            left join pusher p on p.repository = r.name and p.tag = t.name and p.digest = m.digest and p.occurred_at = t.updated_at
            """;

    /**
     * The per-repository figures, recomputed from the rows (cheap per repository: all indexed by repository):
     * tag count, unique bytes (distinct blobs of all manifests) and the latest push of what it holds.
     */
    public static String refreshRepositories(String filter) {
        return """
                update catalog.repository r set
                  tag_count = (select count(*) from catalog.tag t where t.repository = r.name),
                  size = coalesce((select sum(d.size) from (select distinct on (b.blob_digest) b.size
                      from catalog.manifest_blob b where b.repository = r.name order by b.blob_digest) d), 0),
                  last_push_at = (select max(x.at) from (
                      select max(m.pushed_at) as at from catalog.manifest m where m.repository = r.name
                      union all select max(t.pushed_at) from catalog.tag t where t.repository = r.name) x)
                where %s
                """.formatted(filter);
    }

    /** {@code $1}: the repository names (text[]). */
    public static final String REFRESH_REPOSITORIES = refreshRepositories("r.name = any($1)");
}
