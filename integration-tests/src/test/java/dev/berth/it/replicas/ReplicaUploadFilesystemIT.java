package dev.berth.it.replicas;

/** {@link ReplicaUploadScenario} with the filesystem driver on one folder that every replica shares. */
class ReplicaUploadFilesystemIT extends ReplicaUploadScenario {

    @Override
    protected ReplicaStorage createStorage() {
        return new SharedFolderStorage("replicas-storage");
    }
}
