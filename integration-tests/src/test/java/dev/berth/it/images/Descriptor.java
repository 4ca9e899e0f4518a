package dev.berth.it.images;

import java.util.LinkedHashMap;
import java.util.Map;

/** An OCI content descriptor (media type, digest, size) with an optional platform. */
public record Descriptor(String mediaType, String digest, long size, String architecture, String os, String variant) {

    public Descriptor(String mediaType, String digest, long size) {
        this(mediaType, digest, size, null, null, null);
    }

    public Descriptor withPlatform(String architecture, String os, String variant) {
        return new Descriptor(mediaType, digest, size, architecture, os, variant);
    }

    /** The JSON form, fields in the usual order. */
    public Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mediaType", mediaType);
        json.put("digest", digest);
        json.put("size", size);
        if (architecture != null) {
            Map<String, Object> platform = new LinkedHashMap<>();
            platform.put("architecture", architecture);
            platform.put("os", os);
            if (variant != null) {
                platform.put("variant", variant);
            }
            json.put("platform", platform);
        }
        return json;
    }
}
