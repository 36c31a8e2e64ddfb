/**
 * How Cistern's components connect to Redis and PostgreSQL: one immutable settings record per server, resolved from
 * the usual environment variables, with secrets that never print, and the factories that turn settings into clients.
 */
package io.cistern.connections;
