package dev.berth.core.name;

import dev.berth.core.digest.Digest;

/** The {@code <reference>} of a manifest URL: either a tag or a digest, never both. */
public sealed interface Reference {
    record ByTag(Tag tag) implements Reference {
        @Override
        public String toString() {
            return tag.value();
        }
    }

    record ByDigest(Digest digest) implements Reference {
        @Override
        public String toString() {
            return digest.toString();
        }
    }

    /** Parses a reference; a value with a colon is a digest, anything else must be a valid tag. */
    static Reference parse(String value) {
        if (Digest.looksLikeDigest(value)) {
            return new ByDigest(Digest.parse(value));
        }
        return new ByTag(new Tag(value));
    }
}
