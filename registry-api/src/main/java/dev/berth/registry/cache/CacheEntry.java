package dev.berth.registry.cache;

import dev.berth.registry.manifest.ManifestContent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The values of the manifest cache as bytes, so that any store (and any replica of any version that
 * knows this format) can keep them: a format byte, a kind byte, then the kind's fields.
 * <ul>
 * <li>tombstone: the key was invalidated; nothing may cache it again until the tombstone expires</li>
 * <li>manifest: digest, media type, payload</li>
 * <li>tag: the digest the tag points at</li>
 * </ul>
 * Anything unreadable (another format, a truncated value) decodes to {@code null}, which is a miss.
 */
final class CacheEntry {
    static final byte FORMAT = 1;
    static final byte TOMBSTONE = 0;
    static final byte MANIFEST = 1;
    static final byte TAG = 2;

    private CacheEntry() {
    }

    static byte[] tombstone() {
        return new byte[] {FORMAT, TOMBSTONE};
    }

    static boolean isTombstone(byte[] value) {
        return value != null && value.length == 2 && value[0] == FORMAT && value[1] == TOMBSTONE;
    }

    static byte[] manifest(ManifestContent m) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(m.payload().length + 200);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeByte(MANIFEST);
            out.writeUTF(m.digest());
            out.writeUTF(m.mediaType());
            out.writeInt(m.payload().length);
            out.write(m.payload());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static byte[] tag(String digest) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(100);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeByte(TAG);
            out.writeUTF(digest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The manifest in {@code value}, or null when it holds anything else. */
    static ManifestContent readManifest(byte[] value) {
        try (DataInputStream in = open(value, MANIFEST)) {
            if (in == null) {
                return null;
            }
            String digest = in.readUTF();
            String mediaType = in.readUTF();
            int length = in.readInt();
            if (length < 0 || length != in.available()) {
                return null;
            }
            byte[] payload = in.readNBytes(length);
            return new ManifestContent(digest, mediaType, payload);
        } catch (IOException e) {
            return null;
        }
    }

    /** The digest in a tag entry, or null when {@code value} holds anything else. */
    static String readTag(byte[] value) {
        try (DataInputStream in = open(value, TAG)) {
            return in == null ? null : in.readUTF();
        } catch (IOException e) {
            return null;
        }
    }

    private static DataInputStream open(byte[] value, byte kind) {
        if (value == null || value.length < 2 || value[0] != FORMAT || value[1] != kind) {
            return null;
        }
        return new DataInputStream(new ByteArrayInputStream(value, 2, value.length - 2));
    }
}
