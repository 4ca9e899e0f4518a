package dev.berth.it.replicas;

/** {@link ReplicaUploadScenario} with the S3 driver on one bucket of a real S3 server (S3Proxy). */
class ReplicaUploadS3IT extends ReplicaUploadScenario {

    @Override
    protected ReplicaStorage createStorage() {
        return new S3BucketStorage("replicas-s3");
    }
}
