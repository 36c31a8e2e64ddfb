/**
 * The operator dashboard: a web page at {@code /} served by every Cistern service (import {@link
 * io.cistern.ops.dashboard.DashboardConfiguration} and register a {@link io.cistern.ops.dashboard.DashboardSource}),
 * showing the backlog per partition over the last 5 minutes, throughput in and out, dead letters with their latest errors, lease
 * owners and health. The page is static HTML and one vanilla JavaScript file (no build step); it polls {@code
 * /cistern/status} (the snapshot {@code ops/cistern lag --json} prints), {@code /cistern/activity} (entries added per
 * partition and the latest dead letters, never their values), {@code /cistern/history} (the last 5 minutes the charts
 * draw, kept by the service) and {@code /actuator/health}.
 */
package io.cistern.ops.dashboard;
