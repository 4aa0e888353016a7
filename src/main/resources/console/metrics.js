// Reads the app's Prometheus text (/api/metrics) into one latency histogram per service.

const SERIES = 'realtime_ai_score_duration_seconds';
const MAX_ROWS = 12;

/** The samples of a Prometheus text exposition: [{name, labels, value}]; comments and blank lines skipped. */
export function parseSamples(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) {
      continue;
    }
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(trimmed);
    if (!match) {
      continue;
    }
    const labels = {};
    const pairs = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let pair;
    while ((pair = pairs.exec(match[3] || '')) !== null) {
      labels[pair[1]] = pair[2].replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

const bound = (le) => (le === '+Inf' ? Infinity : Number(le));
const millis = (seconds) => seconds * 1000;

const round = (ms) => (ms < 10 ? Number(ms.toFixed(1)) : Math.round(ms));

/** "≤ 25 ms" for a bucket's upper bound; "> 10000 ms" for the +Inf bucket, from the bound below it. */
export function boundLabel(upper, below) {
  return upper === Infinity ? `> ${round(millis(below ?? 0))} ms` : `≤ ${round(millis(upper))} ms`;
}

/**
 * One histogram per service of realtime_ai_score_duration_seconds, every outcome added up:
 * [{service, count, meanMs, p50, p95 (bucket labels), buckets: [{label, count}]}], services by name. Buckets
 * are per range (not cumulative), without the empty ones before the first call and after the last,
 * and merged in neighbours down to a dozen rows.
 */
export function latencyHistograms(text) {
  const services = new Map();
  const of = (service) => {
    if (!services.has(service)) {
      services.set(service, { cumulative: new Map(), count: 0, sum: 0 });
    }
    return services.get(service);
  };
  for (const sample of parseSamples(text)) {
    const service = sample.labels.service;
    if (service === undefined || !Number.isFinite(sample.value) || !sample.name.startsWith(SERIES)) {
      continue;
    }
    const entry = of(service);
    if (sample.name === `${SERIES}_bucket` && sample.labels.le !== undefined) {
      const le = bound(sample.labels.le);
      entry.cumulative.set(le, (entry.cumulative.get(le) || 0) + sample.value);
    } else if (sample.name === `${SERIES}_count`) {
      entry.count += sample.value;
    } else if (sample.name === `${SERIES}_sum`) {
      entry.sum += sample.value;
    }
  }
  const histograms = [];
  for (const [service, entry] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
    if (entry.count <= 0) {
      continue;
    }
    const bounds = [...entry.cumulative.keys()].sort((a, b) => a - b);
    let previous = 0;
    let buckets = bounds.map((upper) => {
      const cumulative = entry.cumulative.get(upper);
      const bucket = { upper, count: Math.max(0, cumulative - previous), cumulative };
      previous = cumulative;
      return bucket;
    });
    const finite = bounds.filter((b) => b !== Infinity);
    const quantile = (q) => {
      const index = buckets.findIndex((b) => b.cumulative >= q * entry.count);
      return index < 0 ? boundLabel(Infinity, finite[finite.length - 1])
        : boundLabel(buckets[index].upper, index > 0 ? buckets[index - 1].upper : 0);
    };
    const p50 = quantile(0.5);
    const p95 = quantile(0.95);
    const first = buckets.findIndex((b) => b.count > 0);
    const last = buckets.length - 1 - [...buckets].reverse().findIndex((b) => b.count > 0);
    buckets = first < 0 ? [] : buckets.slice(first, last + 1);
    const size = Math.ceil(buckets.length / MAX_ROWS);
    const rows = [];
    for (let i = 0; i < buckets.length; i += size) {
      const group = buckets.slice(i, i + size);
      const below = i > 0 ? buckets[i - 1].upper : finite[finite.length - 1];
      rows.push({ label: boundLabel(group[group.length - 1].upper, below), count: group.reduce((sum, b) => sum + b.count, 0) });
    }
    histograms.push({ service, count: entry.count, meanMs: millis(entry.sum / entry.count), p50, p95, buckets: rows });
  }
  return histograms;
}
