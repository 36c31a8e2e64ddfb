package io.cistern.examples.jobworker;

import java.util.UUID;

/**
 * Where a job is.
 *
 * @param jobId the job
 * @param documentUuid the document it registers
 * @param state {@code queued}; {@code written} (every row is in Cistern's buffer: the job's work is done and will reach
 *     PostgreSQL); {@code synced} (PostgreSQL has it, confirmed by {@code awaitSynced}); {@code failed}
 * @param entities the number of entities extracted
 * @param error why it failed, else null
 */
record JobStatus(UUID jobId, UUID documentUuid, String state, int entities, String error) {
    JobStatus with(String newState) {
        return new JobStatus(jobId, documentUuid, newState, entities, error);
    }
}
