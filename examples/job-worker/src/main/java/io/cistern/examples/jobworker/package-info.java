/** The job-worker example: document jobs written through Cistern's Spring Boot starter (README.md). */
package io.cistern.examples.jobworker;
