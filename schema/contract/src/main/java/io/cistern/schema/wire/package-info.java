/**
 * The Redis wire contract's field names: what each hash and stream Cistern keeps in Redis holds, and who writes and who
 * reads each field. The one owner of these names on the Java side (DESIGN 3.7); the Function library {@code cistern_v1}
 * spells the same names in Lua, and {@code FunctionWireContractIT} fails when the two differ.
 *
 * <ul>
 *   <li>{@link io.cistern.schema.wire.MetaFields}: the partition meta hash {@code {prefix}:{p}:m};
 *   <li>{@link io.cistern.schema.wire.ConfigFields}: the config hash {@code {prefix}:config};
 *   <li>{@link io.cistern.schema.wire.RecordFields}: a record hash {@code {prefix}:{p}:r:{table}:{key}};
 *   <li>{@link io.cistern.schema.wire.DeadLetterFields}: a dead-letter stream entry {@code {prefix}:{p}:dlq};
 *   <li>the change stream entry {@code {prefix}:{p}:s}: {@link io.cistern.schema.codec.ChangeEntry}'s constants.
 * </ul>
 *
 * Other modules use these constants and never spell a field name themselves; {@code WireFieldLiteralTest} in
 * {@code ops} enforces that.
 */
package io.cistern.schema.wire;
