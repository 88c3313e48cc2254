// StatsD backend (loaded by scripts/services/statsd): keeps running totals
// across flushes and writes them as JSON, because statsd's management
// `counters`/`timers` replies are reset to 0 / [] at every flush.
//   config.geosearchTotals.file  output path (rewritten atomically each flush)
// JSON: {flushes, updated, counters:{k:sum}, timers:{k:[values]},
//        gauges:{k:last}, sets:{k:[members]}}
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const MAX_TIMER_VALUES = 10000; // per key, so a long run stays bounded

exports.init = (_startupTime, config, events) => {
  const file = config.geosearchTotals?.file;
  if (!file) return false;
  const t = { flushes: 0, updated: null, counters: {}, timers: {}, gauges: {}, sets: {} };

  // Registered at startup, so it runs before statsd's own per-flush reset.
  events.on('flush', (ts, m) => {
    for (const k in m.counters) t.counters[k] = (t.counters[k] || 0) + m.counters[k];
    for (const k in m.timers) {
      const all = (t.timers[k] || []).concat(m.timers[k]);
      t.timers[k] = all;
      if (all.length > MAX_TIMER_VALUES) all.splice(0, all.length - MAX_TIMER_VALUES);
    }
    Object.assign(t.gauges, m.gauges);
    for (const k in m.sets) {
      t.sets[k] = Array.from(new Set((t.sets[k] || []).concat(m.sets[k].values())));
    }
    t.flushes += 1;
    t.updated = ts;
    try {
      // never let a removed run folder crash the daemon
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(t)}\n`);
      fs.renameSync(`${file}.tmp`, file);
    } catch (e) {
      console.error(`totals: ${e.message}`);
    }
  });
  return true;
};
