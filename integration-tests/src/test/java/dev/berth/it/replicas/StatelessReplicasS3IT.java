package dev.berth.it.replicas;

/** {@link StatelessReplicasScenario} with the S3 driver on one bucket of a real S3 server (S3Proxy). */
class StatelessReplicasS3IT extends StatelessReplicasScenario {

    @Override
    protected ReplicaStorage createStorage() {
        return new S3BucketStorage("stateless-s3");
    }
}
