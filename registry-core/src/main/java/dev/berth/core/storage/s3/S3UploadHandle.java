package dev.berth.core.storage.s3;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Everything an S3 upload needs to be continued by any replica, as the opaque handle the registry keeps
 * in PostgreSQL ({@code upload_session.storage_handle}, at most 2048 characters):
 *
 * <ul>
 * <li>{@code id}: the registry's upload id; pending tails live under {@code uploads/<id>/}</li>
 * <li>{@code key}: the object the multipart upload completes into (it becomes the blob's object)</li>
 * <li>{@code mpu}: the S3 multipart upload id; empty until the first full part is stored, so uploads
 * that never fill a part never start a multipart upload (handles made before this always have one)</li>
 * <li>{@code part}: the next part number; parts {@code 1..part-1} are complete and counted, parts numbered
 * beyond come from an attempt that failed and are overwritten or ignored</li>
 * <li>{@code done}: bytes in the completed parts</li>
 * <li>{@code tail}, {@code tag}: size and ETag of the pending tail object (bytes after the completed parts,
 * fewer than one part unless the first chunk wrote it), 0 and empty when there is none</li>
 * <li>{@code at}: {@code blob} when the tail was written by the upload's first chunk straight to {@code key}
 * (then a one-chunk blob is already in place at commit; such a tail may be up to 5 GiB), absent when it is
 * {@code uploads/<id>/pending/<size>}</li>
 * <li>{@code chain}: a hash over the ETags of the completed parts, checked at commit, so that a part
 * overwritten behind the registry's back fails the commit instead of corrupting the blob</li>
 * </ul>
 *
 * The bytes accepted so far are {@code done + tail}.
 */
record S3UploadHandle(String id, String key, String multipartId, int nextPart, long done, long tail, String tailEtag,
        boolean tailInBlob, String chain) {

    static final String PREFIX = "s3v1";
    static final int MAX_LENGTH = 2048;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    S3UploadHandle {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid upload id: " + id);
        }
        if (nextPart < 1 || done < 0 || tail < 0) {
            throw new IllegalArgumentException("invalid upload state: part " + nextPart + ", done " + done + ", tail " + tail);
        }
        multipartId = multipartId == null ? "" : multipartId;
        tailEtag = tailEtag == null ? "" : tailEtag;
        chain = chain == null ? "" : chain;
        if (multipartId.isEmpty() && (nextPart != 1 || done != 0)) {
            throw new IllegalArgumentException("invalid upload state: parts without a multipart upload");
        }
        if (tailInBlob && (tail == 0 || done != 0)) {
            throw new IllegalArgumentException("invalid upload state: a tail in place needs " + tail + " > 0 and no parts");
        }
    }

    /** A new upload: no bytes, no multipart upload yet. */
    static S3UploadHandle started(String id, String key) {
        return started(id, key, "");
    }

    static S3UploadHandle started(String id, String key, String multipartId) {
        return new S3UploadHandle(id, key, multipartId, 1, 0, 0, "", false, "");
    }

    boolean hasMultipart() {
        return !multipartId.isEmpty();
    }

    /** The same state, now with the multipart upload that its parts go to. */
    S3UploadHandle withMultipart(String uploadId) {
        return new S3UploadHandle(id, key, uploadId, nextPart, done, tail, tailEtag, tailInBlob, chain);
    }

    /** Bytes accepted so far. */
    long size() {
        return done + tail;
    }

    /**
     * Where the pending tail of this state lives: the blob's object for the first chunk's tail, else one
     * object per end offset, so no state overwrites another's.
     */
    String tailKey() {
        return tailInBlob ? key : pendingPrefix(id) + size();
    }

    static String uploadPrefix(String id) {
        return "uploads/" + id + "/";
    }

    static String pendingPrefix(String id) {
        return uploadPrefix(id) + "pending/";
    }

    /**
     * Written before a multipart upload is started lazily: a chunk that fails after starting one leaves
     * an upload that no handle names, and this marker tells commit and abort to look for it.
     */
    static String multipartMarker(String id) {
        return uploadPrefix(id) + "multipart";
    }

    /** The state after part {@code nextPart} of {@code partSize} bytes was stored with {@code etag}. */
    S3UploadHandle withPart(long partSize, String etag) {
        return new S3UploadHandle(id, key, multipartId, nextPart + 1, done + partSize, 0, "", false,
                chain(chain, nextPart, etag));
    }

    S3UploadHandle withTail(long tailSize, String etag) {
        return withTail(tailSize, etag, false);
    }

    S3UploadHandle withTail(long tailSize, String etag, boolean inBlob) {
        return new S3UploadHandle(id, key, multipartId, nextPart, done, tailSize, tailSize == 0 ? "" : etag,
                tailSize > 0 && inBlob, chain);
    }

    /** The chain value after {@code previous} and part {@code partNumber} with {@code etag}. */
    static String chain(String previous, int partNumber, String etag) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((previous + ":" + partNumber + ":" + normalizeEtag(etag)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest(), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String normalizeEtag(String etag) {
        if (etag == null) {
            return "";
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    String encode() {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("id", id);
        fields.put("key", key);
        fields.put("mpu", multipartId);
        fields.put("part", Integer.toString(nextPart));
        fields.put("done", Long.toString(done));
        fields.put("tail", Long.toString(tail));
        fields.put("tag", tailEtag);
        if (tailInBlob) {
            fields.put("at", "blob");
        }
        fields.put("chain", chain);
        StringBuilder sb = new StringBuilder(PREFIX);
        fields.forEach((k, v) -> sb.append(';').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        if (sb.length() > MAX_LENGTH) {
            throw new IllegalStateException("upload handle longer than " + MAX_LENGTH + " characters: " + sb.length());
        }
        return sb.toString();
    }

    static S3UploadHandle parse(String handle) {
        if (handle == null || !handle.startsWith(PREFIX + ";")) {
            throw new IllegalArgumentException("not an S3 upload handle: " + handle);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : handle.substring(PREFIX.length() + 1).split(";")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("malformed S3 upload handle: " + handle);
            }
            fields.put(field.substring(0, eq), URLDecoder.decode(field.substring(eq + 1), StandardCharsets.UTF_8));
        }
        try {
            String at = fields.getOrDefault("at", "");
            if (!at.isEmpty() && !at.equals("blob")) {
                throw new IllegalArgumentException("malformed S3 upload handle: " + handle);
            }
            // "mpu" is always written, empty before the first part
            if (!fields.containsKey("mpu")) {
                throw new IllegalArgumentException("S3 upload handle lacks mpu");
            }
            return new S3UploadHandle(required(fields, "id"), required(fields, "key"), fields.get("mpu"),
                    Integer.parseInt(required(fields, "part")), Long.parseLong(required(fields, "done")),
                    Long.parseLong(required(fields, "tail")), fields.getOrDefault("tag", ""), at.equals("blob"),
                    fields.getOrDefault("chain", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed S3 upload handle: " + handle, e);
        }
    }

    private static String required(Map<String, String> fields, String name) {
        String value = fields.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("S3 upload handle lacks " + name);
        }
        return value;
    }
}
