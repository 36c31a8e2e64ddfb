package io.cistern.examples.jobworker;

import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /jobs} queues a document job (202 with its status); {@code GET /jobs/{id}} says where it is. */
@RestController
class JobController {
    /** A job's input. */
    record JobRequest(String filename, String text) {}

    private final DocumentJobs jobs;

    JobController(DocumentJobs jobs) {
        this.jobs = jobs;
    }

    @PostMapping("/jobs")
    ResponseEntity<JobStatus> submit(@RequestBody JobRequest request) {
        if (request.filename() == null || request.filename().isBlank() || request.text() == null) {
            return ResponseEntity.badRequest().build();
        }
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(jobs.submit(request.filename(), request.text()));
    }

    @GetMapping("/jobs/{id}")
    ResponseEntity<JobStatus> status(@PathVariable UUID id) {
        return ResponseEntity.of(jobs.status(id));
    }
}
