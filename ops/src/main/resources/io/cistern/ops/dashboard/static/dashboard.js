// Cistern's operator dashboard: polls the service's JSON endpoints and draws the page with plain DOM and SVG.
// No framework and no build step. Every value from the server is set as text (textContent), never as HTML.

/** The page's pure functions, callable from tests (a browser test runs them through WebDriver's executeScript). */
const CisternDashboard = (() => {
  "use strict";

  /** The fraction digits `step` needs: 0 for 5 or 2000, 1 for 2.5 or 0.5, 2 for 0.25. */
  function decimals(step) {
    for (let d = 0; d < 15; d++) {
      const scaled = step * 10 ** d;
      if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
    }
    return 15;
  }

  /**
   * Axis ticks at round values ("nice numbers") from `min` up to `max` or just past it: a step of 1, 2, 2.5 or 5
   * times a power of ten, chosen so that there are at most six ticks, the first and last ones whole steps at or
   * around `min` and `max` (the axis is drawn up to the last tick). With `integer` (counts, such as backlog entries)
   * the step is a whole number: ticks(0, 1, true) is [0, 1], never 0, 0.25, 0.5, ... labelled 0, 0, 1, 1, 1.
   * An empty range (max <= min) is drawn as min .. min + 1.
   */
  function ticks(min, max, integer) {
    if (!Number.isFinite(min)) min = 0;
    if (!Number.isFinite(max) || max <= min) max = min + 1;
    const raw = (max - min) / 5;
    const power = 10 ** Math.floor(Math.log10(raw));
    let step = null;
    for (const m of [1, 2, 2.5, 5, 10]) {
      const s = Number((m * power).toPrecision(12));
      if (s >= raw && (!integer || Number.isInteger(s))) { step = s; break; }
    }
    if (step === null) step = integer ? Math.max(1, Math.ceil(raw)) : 10 * power;
    const d = decimals(step);
    const first = Math.floor(min / step + 1e-9);
    const last = Math.ceil(max / step - 1e-9);
    const values = [];
    for (let i = first; i <= last; i++) values.push(Number((i * step).toFixed(d)));
    return values;
  }

  /** Labels for `values` from ticks(): each with exactly the fraction digits the step needs, thousands separated. */
  function tickLabels(values) {
    const d = values.length > 1 ? decimals(values[1] - values[0]) : decimals(values[0] || 0);
    return values.map((v) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
  }

  return Object.freeze({ ticks, tickLabels });
})();

(() => {
  "use strict";
  // Only on the dashboard page itself: a test may load this script on an empty page to call its pure functions.
  if (!document.getElementById("lag-chart")) return;
  const params = new URLSearchParams(location.search);
  const interval = Math.max(200, Number(params.get("interval")) || 2000);
  /** The charts' window: ?minutes=M, at most the history the service keeps (5 minutes). */
  let windowMs = Math.max(0.25, Number(params.get("minutes")) || 5) * 60000;
  const SVG = "http://www.w3.org/2000/svg";
  /**
   * The service's samples over the chart window, oldest first, as /cistern/history gives them: {t (ms, the service's
   * clock), partitions, backlog, entriesAdded, deadLetters, inPerSecond, outPerSecond, partitionBacklogs[]}.
   */
  const samples = [];
  /** The service's clock at its latest answer (ms): where the charts end. */
  let serverNow = null;
  /** The service's least time between samples (ms). */
  let spacingMs = 2000;
  let updates = 0;

  const $ = (id) => document.getElementById(id);
  const color = (p) => `hsl(${(p * 137.5) % 360}, 62%, 45%)`;

  function fmtCount(n) { return n == null ? "–" : Number(n).toLocaleString("en-US"); }
  function fmtAge(seconds) {
    if (seconds == null) return "–";
    if (seconds < 1) return seconds === 0 ? "0 s" : `${Math.round(seconds * 1000)} ms`;
    if (seconds < 120) return `${seconds.toFixed(1)} s`;
    if (seconds < 7200) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }
  function fmtRate(r) { return r == null ? "–" : r < 10 ? r.toFixed(1) : Math.round(r).toLocaleString("en-US"); }
  function fmtTime(iso) { return iso ? new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "–"; }

  async function getJson(path, acceptErrors) {
    const response = await fetch(path, { cache: "no-store", headers: { accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok && !acceptErrors) {
      throw new Error(body && body.error ? body.error : `${path} answered ${response.status}`);
    }
    return body;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function fmtBytes(n) {
    if (n == null) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = n, u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
  }

  /** The buffer object of /cistern/status (BufferCapacity.toJson): the outage it absorbs, and its room. */
  function renderBuffer(buffer) {
    const card = $("buffer-card");
    if (!buffer) {
      $("buffer-time").textContent = "–";
      $("buffer-detail").textContent = "unknown: Redis does not tell (INFO or MEMORY refused)";
      return;
    }
    const unbounded = buffer.boundBy === "none" && buffer.memoryLimitBytes === 0;
    card.className = unbounded ? "card warn" : "card";
    if (unbounded) {
      $("buffer-time").textContent = "unbounded";
      $("buffer-detail").textContent = `no memory guard (${buffer.memoryLimitBasis}): Redis grows until the host runs out`;
      return;
    }
    $("buffer-time").textContent = buffer.timeLeftSeconds != null ? fmtAge(buffer.timeLeftSeconds)
      : buffer.writeRatePerSecond === 0 ? "not filling" : "–";
    const entries = buffer.entriesLeft != null ? `${fmtCount(buffer.entriesLeft)} entries` : "";
    const bytes = buffer.bytesLeft != null ? `${fmtBytes(buffer.bytesLeft)}` : "";
    const room = [entries, bytes].filter((x) => x).join(", ");
    $("buffer-detail").textContent = `${room} left (${buffer.boundBy === "backlog" ? "backlog limit"
      : buffer.memoryLimitBasis}) at ${fmtRate(buffer.writeRatePerSecond)} writes/s`;
  }

  function renderStatus(status) {
    $("prefix").textContent = status.prefix;
    $("taken-at").textContent = fmtTime(status.takenAt);
    $("total-backlog").textContent = fmtCount(status.totals.backlog);
    $("total-age").textContent = fmtAge(status.totals.oldestAgeSeconds);
    $("total-pending").textContent = fmtCount(status.totals.pending);
    $("total-dlq").textContent = fmtCount(status.totals.deadLetters);
    // Stalled partitions (entries wait, nothing applied for longer than the stall bound), with the worker's last error.
    const stalls = status.stalls || [];
    const stalled = new Map(stalls.map((s) => [s.partition, s]));
    const banner = $("stalled");
    banner.hidden = stalls.length === 0;
    banner.replaceChildren();
    if (stalls.length > 0) {
      const title = document.createElement("b");
      title.textContent = `Apply path stalled on ${stalls.length} partition${stalls.length === 1 ? "" : "s"}`
        + ` (nothing applied for more than ${status.maxStallSeconds} s while entries wait):`;
      banner.appendChild(title);
      const list = document.createElement("ul");
      for (const s of stalls) {
        const item = document.createElement("li");
        item.textContent = s.reason;
        list.appendChild(item);
      }
      banner.appendChild(list);
    }
    renderBuffer(status.buffer);
    const body = $("partitions").querySelector("tbody");
    body.replaceChildren();
    for (const p of status.partitions) {
      const row = document.createElement("tr");
      row.dataset.partition = p.partition;
      row.dataset.backlog = p.backlog;
      if (p.backlog > 0) row.classList.add("behind");
      cell(row, String(p.partition), "partition num");
      cell(row, fmtCount(p.backlog), "backlog num");
      cell(row, fmtAge(p.oldestAgeSeconds), "age num");
      cell(row, fmtCount(p.pending), "pending num");
      cell(row, fmtCount(p.deadLetters), "dlq num");
      cell(row, p.owner ? p.owner.worker : "none", "owner");
      cell(row, p.owner && p.owner.since ? fmtTime(p.owner.since) : "–", "since");
      let state = p.owner ? "owned" : "no owner";
      if (p.paused) state = `paused${p.pausedBy ? " by " + p.pausedBy : ""}`;
      if (p.deletedBeforeApplied) state += " · entries deleted before applied";
      if (stalled.has(p.partition)) {
        state = `stalled ${Math.round(stalled.get(p.partition).stalledForSeconds)} s · ${state}`;
        row.classList.add("stalled");
      }
      if (!p.owner && !p.paused) row.classList.add("orphan");
      const stateCell = cell(row, state, "state");
      if (p.lastError) stateCell.title = `last error${p.lastError.at ? " at " + fmtTime(p.lastError.at) : ""}: ${p.lastError.message}`;
      body.appendChild(row);
    }
  }

  function renderDeadLetters(activity) {
    const body = $("dead-letters").querySelector("tbody");
    body.replaceChildren();
    $("dlq-source").textContent = activity.deadLettersFrom === "postgres"
      ? "Read from cistern_dead_letter, where they are recorded."
      : "Read from the Redis notices (this service has no database, or cannot read it now): the dead letters themselves are in cistern_dead_letter.";
    if (activity.deadLetters.length === 0) {
      const row = document.createElement("tr");
      const td = cell(row, "none", "empty");
      td.colSpan = 9;
      body.appendChild(row);
      return;
    }
    for (const d of activity.deadLetters) {
      const row = document.createElement("tr");
      row.dataset.partition = d.partition;
      cell(row, fmtTime(d.recordedAt));
      cell(row, activity.deadLettersFrom === "postgres" ? String(d.id) : "–", "num");
      cell(row, String(d.partition), "num");
      cell(row, d.table || "–");
      cell(row, d.key || "–");
      cell(row, d.operation || "–");
      cell(row, d.reason);
      cell(row, d.sqlState || "–");
      cell(row, String(d.attempts), "num");
      body.appendChild(row);
    }
  }

  function renderHealth(health) {
    const badge = $("health-badge");
    const status = health && health.status ? health.status : "UNKNOWN";
    badge.textContent = `health: ${status}`;
    badge.className = `badge ${status === "UP" ? "up" : status === "UNKNOWN" ? "unknown" : "down"}`;
    const body = $("health").querySelector("tbody");
    body.replaceChildren();
    const components = (health && health.components) || {};
    for (const [name, component] of Object.entries(components)) {
      const row = document.createElement("tr");
      cell(row, name);
      cell(row, component.status, component.status === "UP" ? "state" : "state down");
      const details = Object.entries(component.details || {})
        .filter(([, v]) => typeof v === "string" || typeof v === "number" || typeof v === "boolean")
        .map(([k, v]) => `${k}: ${v}`)
        .join(" · ");
      cell(row, details);
      body.appendChild(row);
    }
  }

  /** Adds the samples of a /cistern/history answer and drops those older than the window. */
  function remember(history) {
    windowMs = Math.min(windowMs, history.retentionSeconds * 1000);
    spacingMs = history.spacingMillis;
    serverNow = history.now;
    const last = samples.length ? samples[samples.length - 1].t : -Infinity;
    for (const sample of history.samples) if (sample.t > last) samples.push(sample);
    while (samples.length > 0 && samples[0].t < serverNow - windowMs) samples.shift();
  }

  function fmtSpan(ms) { return ms >= 60000 ? `-${Math.round(ms / 60000)} min` : `-${Math.round(ms / 1000)} s`; }

  /**
   * Draws series [{name, color, points: [[t, v]], width}] over the span ending at `now`, into `container`, on a value
   * axis from 0 with round ticks (whole ones when `integer`).
   */
  function drawChart(container, series, now, integer) {
    const width = 600, height = 220, left = 46, right = 8, top = 8, bottom = 22;
    // A loop, not Math.max(...values): 256 partitions x 167 samples is more arguments than a call should take.
    let highest = 0;
    for (const s of series) for (const [, v] of s.points) if (v > highest) highest = v;
    const axis = CisternDashboard.ticks(0, highest, integer);
    const labels = CisternDashboard.tickLabels(axis);
    const max = axis[axis.length - 1];
    const shown = windowMs;
    const x = (t) => left + ((t - (now - shown)) / shown) * (width - left - right);
    const y = (v) => top + (1 - v / max) * (height - top - bottom);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.dataset.ticks = labels.join("|");
    for (const [i, v] of axis.entries()) {
      const line = document.createElementNS(SVG, "line");
      line.setAttribute("class", "grid");
      line.setAttribute("x1", left); line.setAttribute("x2", width - right);
      line.setAttribute("y1", y(v)); line.setAttribute("y2", y(v));
      svg.appendChild(line);
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", left - 4); label.setAttribute("y", y(v) + 4);
      label.setAttribute("text-anchor", "end");
      label.textContent = labels[i];
      svg.appendChild(label);
    }
    for (const [text, t] of [[fmtSpan(shown), now - shown], ["now", now]]) {
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", x(t)); label.setAttribute("y", height - 6);
      label.setAttribute("text-anchor", t === now ? "end" : "start");
      label.textContent = text;
      svg.appendChild(label);
    }
    for (const s of series) {
      if (s.points.length === 0) continue;
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("fill", "none");
      line.setAttribute("stroke", s.color);
      line.setAttribute("stroke-width", s.width || 1.5);
      line.setAttribute("points", s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" "));
      line.dataset.series = s.name;
      line.dataset.values = s.points.map(([, v]) => v).join(",");
      line.dataset.last = s.points[s.points.length - 1][1];
      svg.appendChild(line);
      // The latest value as a dot: visible even while the series has a single sample.
      const [lastT, lastV] = s.points[s.points.length - 1];
      const dot = document.createElementNS(SVG, "circle");
      dot.setAttribute("cx", x(lastT).toFixed(1));
      dot.setAttribute("cy", y(lastV).toFixed(1));
      dot.setAttribute("r", (s.width || 1.5) + 1);
      dot.setAttribute("fill", s.color);
      svg.appendChild(dot);
    }
    container.replaceChildren(svg);
    return svg;
  }

  /** "1 min 40 s" for 100000 ms. */
  function fmtDuration(ms) {
    const seconds = Math.round(ms / 1000);
    if (seconds < 60) return `${seconds} s`;
    return seconds % 60 === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  }

  /** The charts' captions say what they show: the window, and how much of it the service has samples for. */
  function renderCaptions(perPartition, partitions) {
    const covered = samples.length ? serverNow - samples[0].t : 0;
    const window = fmtDuration(windowMs);
    const partial = covered < windowMs - 2 * spacingMs
      ? ` (samples for the last ${fmtDuration(covered)} only: this service has not sampled longer)` : "";
    $("lag-caption").textContent = perPartition
      ? `Backlog per partition and in total, last ${window}${partial}`
      : `Backlog in total, last ${window}${partial} (${fmtCount(partitions)} partitions: one line each is drawn `
        + "up to 256)";
    $("rate-caption").textContent = `Throughput in and out, entries / s, last ${window}${partial}`;
  }

  function renderCharts() {
    if (samples.length === 0 || serverNow === null) return;
    const now = serverNow;
    const latest = samples[samples.length - 1];
    const partitions = latest.partitions;
    const perPartition = latest.partitionBacklogs.length === partitions;
    const series = [];
    if (perPartition) {
      for (let p = 0; p < partitions; p++) {
        series.push({
          name: `p${p}`, color: color(p), points: samples.map((h) => [h.t, h.partitionBacklogs[p] || 0]),
        });
      }
    }
    series.push({ name: "total", color: "#1d2430", width: 2.5, points: samples.map((h) => [h.t, h.backlog]) });
    const svg = drawChart($("lag-chart"), series, now, true);
    svg.dataset.total = latest.backlog;
    svg.dataset.samples = samples.length;
    svg.dataset.oldest = samples[0].t;
    const legend = $("lag-legend");
    if (legend.childElementCount !== series.length) {
      legend.replaceChildren();
      for (const s of series) {
        const item = document.createElement("span");
        const swatch = document.createElement("i");
        swatch.style.background = s.color;
        item.append(swatch, s.name);
        legend.appendChild(item);
      }
    }
    const rated = samples.filter((h) => h.inPerSecond != null);
    drawChart($("rate-chart"), [
      { name: "in", color: "#2b7bd6", width: 2, points: rated.map((h) => [h.t, h.inPerSecond]) },
      { name: "out", color: "#2aa876", width: 2, points: rated.map((h) => [h.t, h.outPerSecond]) },
    ], now, false);
    $("rate-in").textContent = fmtRate(latest.inPerSecond);
    $("rate-out").textContent = fmtRate(latest.outPerSecond);
    renderCaptions(perPartition, partitions);
  }

  async function poll() {
    try {
      await update();
    } catch (e) {
      const error = $("error");
      error.hidden = false;
      error.textContent = `dashboard: ${e.message}`;
    } finally {
      setTimeout(poll, interval);
    }
  }

  async function update() {
    // The history comes from the service's memory: all of it at the first poll, then only what is new.
    const after = samples.length ? `?after=${samples[samples.length - 1].t}` : "";
    const [status, activity, health, history] = await Promise.allSettled([
      getJson("/cistern/status"), getJson("/cistern/activity"), getJson("/actuator/health", true),
      getJson(`/cistern/history${after}`),
    ]);
    const problems = [status, activity, history]
      .filter((r) => r.status === "rejected").map((r) => r.reason.message);
    const error = $("error");
    error.hidden = problems.length === 0;
    error.textContent = problems.join(" · ");
    if (status.status === "fulfilled") renderStatus(status.value);
    if (history.status === "fulfilled") {
      remember(history.value);
      renderCharts();
    }
    if (activity.status === "fulfilled") renderDeadLetters(activity.value);
    renderHealth(health.status === "fulfilled" ? health.value : null);
    document.body.dataset.updates = String(++updates);
  }

  poll();
})();
