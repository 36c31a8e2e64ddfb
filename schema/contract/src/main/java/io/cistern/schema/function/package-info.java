/**
 * The Redis Function library through which every write enters Cistern (DESIGN.md 3.2): its Lua source, its protocol
 * version and revision, how it is installed and upgraded, and the buffer limits it enforces.
 */
package io.cistern.schema.function;
