package dev.berth.gc.collector.manifest;

/**
 * SQL shared by the policy collectors: which of a set of candidate manifests must stay. The caller defines a CTE
 * {@code cand(id, digest, repository_id, subject_digest)} (untagged manifests it would delete) under
 * {@code with recursive}; {@link #KEPT} adds {@code edges} and {@code kept}; {@link #DOOMED} selects the candidates
 * that may go.
 *
 * <p>Every manifest of the repository outside {@code cand} is kept, and keeps more, transitively:
 * <ul>
 * <li>an index keeps its children (manifest_reference kind {@code manifest}, same repository);</li>
 * <li>a subject keeps its referrers (manifest.subject_digest, same repository): signatures of kept images stay;</li>
 * <li>a referrer keeps its subject: a tagged (or otherwise kept) signature keeps what it signs.</li>
 * </ul>
 * So referrers and children of a deleted manifest go with it unless something else keeps them. Only edges into
 * {@code cand} are built, and the closure starts at the manifests outside it: the cost follows the candidates, not
 * the repository.
 */
public final class ManifestGraph {

    public static final String KEPT = """
            edges as materialized (\
            select p.id as src, c.id as dst from cand c join manifest_reference r on r.digest = c.digest \
            and r.kind = 'manifest' join manifest p on p.id = r.manifest_id and p.repository_id = c.repository_id \
            union all \
            select s.id, c.id from cand c join manifest s on s.repository_id = c.repository_id \
            and s.digest = c.subject_digest \
            union all \
            select f.id, c.id from cand c join manifest f on f.repository_id = c.repository_id \
            and f.subject_digest = c.digest), \
            kept(id) as (\
            select e.dst from edges e where not exists (select 1 from cand c where c.id = e.src) \
            union \
            select e.dst from kept k join edges e on e.src = k.id)\
            """;

    /** The candidates not kept. */
    public static final String DOOMED = "select c.id from cand c where not exists (select 1 from kept k where k.id = c.id)";

    /**
     * The bytes of the blobs (configs, layers) that manifests {@code $1} reference and no other manifest does: what
     * their deletion frees once the blob collectors have run (the blobs may still be linked until then).
     */
    public static final String FREED_BYTES = """
            freed as (select coalesce(sum(b.size), 0) as bytes from blob b where b.digest in (\
            select r.digest from manifest_reference r where r.manifest_id = any($1) and r.kind in ('config', 'layer') \
            and not exists (select 1 from manifest_reference o where o.digest = r.digest \
            and o.manifest_id <> all($1))))\
            """;

    private ManifestGraph() {
    }
}
