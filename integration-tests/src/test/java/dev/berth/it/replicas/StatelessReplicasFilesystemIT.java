package dev.berth.it.replicas;

/** {@link StatelessReplicasScenario} with the filesystem driver on one folder that every replica shares. */
class StatelessReplicasFilesystemIT extends StatelessReplicasScenario {

    @Override
    protected ReplicaStorage createStorage() {
        return new SharedFolderStorage("stateless-storage");
    }
}
