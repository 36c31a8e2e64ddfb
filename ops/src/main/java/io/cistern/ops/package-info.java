/**
 * The {@code ops/cistern} command line: {@code init}, the services ({@code writer-api}), the all-in-one {@code up},
 * and the benchmark harness ({@code bench}). Each subcommand is a small picocli command; the work is done by the
 * modules it drives.
 */
package io.cistern.ops;
