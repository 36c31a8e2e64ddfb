/**
 * {@link io.cistern.writer.RecordWriter}: the Java API producers call to write records into Cistern. A write is one
 * atomic Redis Function call that updates the record's hash and appends its change entry; the sync worker applies it
 * to PostgreSQL later. This package needs Lettuce and Cistern's own code only.
 */
package io.cistern.writer;
