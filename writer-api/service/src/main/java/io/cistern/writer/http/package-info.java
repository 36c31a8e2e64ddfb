/**
 * The HTTP ingest service: producers in other languages write records through {@code PUT}, {@code PATCH} and {@code
 * DELETE /v1/tables/{table}/records/{id}} and {@code POST /v1/tables/{table}/records:batch}, which the service passes
 * to a {@link io.cistern.writer.RecordWriter}.
 *
 * <p>Three public types: {@link io.cistern.writer.http.WriterHttpConfiguration}, the Spring configuration to import
 * (standalone or into the all-in-one launcher), {@link io.cistern.writer.http.WriterApiApplication}, the standalone
 * service (port 8081), and {@link io.cistern.writer.http.WriterHttpSettings}, its settings. Everything else is
 * package-private.
 *
 * <p>Limitation: the service connects its {@code RecordWriter} at startup and fails to start when Redis is unreachable
 * or Cistern is not initialised there; once started, it survives Redis going away (writes get 503, readiness goes down)
 * and recovers when Redis returns.
 *
 * <p>Request bodies are parsed with {@link io.cistern.schema.codec.ExactJson}, never with the web framework's mapper,
 * so integers and decimals keep their exact value (DESIGN.md invariant 8). Keys are read from the raw, undecoded
 * request URI, so a {@code %2C} inside a key component stays a comma of that component instead of splitting the key.
 */
package io.cistern.writer.http;
