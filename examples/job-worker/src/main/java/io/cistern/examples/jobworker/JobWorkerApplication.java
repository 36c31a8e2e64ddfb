package io.cistern.examples.jobworker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A document-processing job worker: each job registers a document, marks it processing, extracts its entities and
 * marks it done, writing only through Cistern's {@code RecordWriter} (auto-configured by the starter). Its writes take
 * well under a millisecond whatever PostgreSQL is doing; a job that must know its document reached the database waits
 * for it with {@code awaitSynced} without holding a worker thread. See README.md.
 */
@SpringBootApplication
public class JobWorkerApplication {
    public static void main(String[] args) {
        SpringApplication.run(JobWorkerApplication.class, args);
    }
}
