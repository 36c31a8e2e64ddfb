/**
 * The codecs of the contract: {@link io.cistern.schema.codec.ValueCodec} turns column values into their one canonical
 * JSON text and back into SQL values, exactly (no float rounding of bigint or numeric); {@link
 * io.cistern.schema.codec.ChangeEntry} is a change entry as it stands on a partition stream.
 */
package io.cistern.schema.codec;
