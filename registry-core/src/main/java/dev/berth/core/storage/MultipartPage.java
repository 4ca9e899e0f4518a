package dev.berth.core.storage;

import java.util.List;

/**
 * One page of the multipart uploads in progress ({@link BlobStore#multipartUploads}).
 *
 * @param uploads at most the requested number of uploads, in the backend's order (by key, then start)
 * @param next    the opaque position to continue from, or {@code null} when this was the last page
 */
public record MultipartPage(List<PendingMultipart> uploads, String next) {

    public MultipartPage {
        uploads = List.copyOf(uploads);
    }

    public static final MultipartPage EMPTY = new MultipartPage(List.of(), null);
}
