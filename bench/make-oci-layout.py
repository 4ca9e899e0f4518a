#!/usr/bin/env python3
"""Writes an OCI image layout with random, incompressible layers for the benchmark.

usage: make-oci-layout.py DIR TAG LAYER_COUNT LAYER_BYTES
"""
import hashlib
import json
import os
import sys


def write_blob(blobs, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def write_big_blob(blobs, size):
    """Streams a random blob of `size` bytes to disk without holding it in memory."""
    h = hashlib.sha256()
    tmp = os.path.join(blobs, "tmp-layer")
    with open(tmp, "wb") as f:
        left = size
        while left > 0:
            chunk = os.urandom(min(left, 4 << 20))
            h.update(chunk)
            f.write(chunk)
            left -= len(chunk)
    digest = h.hexdigest()
    os.replace(tmp, os.path.join(blobs, digest))
    return "sha256:" + digest, size


def main():
    out, tag, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    layers = []
    for _ in range(count):
        digest, length = write_big_blob(blobs, size)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": length})
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                         "diff_ids": [l["digest"] for l in layers]}}).encode()
    config_digest, config_size = write_blob(blobs, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": config_size},
                           "layers": layers}).encode()
    manifest_digest, manifest_size = write_blob(blobs, manifest)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": manifest_digest, "size": manifest_size,
                   "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    print(layers[0]["digest"])


if __name__ == "__main__":
    main()
