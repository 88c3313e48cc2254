import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pointSearchSelect } from './pgbench.mjs';

/**
 * EXPLAIN ANALYZE of the server's point statement as a prepared statement on
 * one connection, for `point`: after six executions under the default
 * `plan_cache_mode = auto` (what each pooled connection of the server ends up
 * running, since PostgreSQL may switch to a generic plan after five), with
 * a generic plan forced (the statement is written so that it is sound) and
 * with a custom plan forced. Returns each plan's text and execution time.
 */
export async function checkPointPlans({ cluster, dataset, point, dir }) {
  const explain = async (mode) => {
    const file = join(dir, `plan-${mode}.sql`);
    const execute = `EXECUTE q(${point.lng}, ${point.lat}, 51)`;
    writeFileSync(
      file,
      [
        `SET plan_cache_mode = ${mode};`,
        `PREPARE q(float8, float8, bigint) AS ${pointSearchSelect('$1', '$2', '$3')};`,
        '\\o /dev/null',
        ...Array.from({ length: 6 }, () => `${execute};`),
        '\\o',
        `EXPLAIN (ANALYZE, COSTS OFF) ${execute};`,
        '',
      ].join('\n'),
    );
    const plan = (await cluster.sqlFile(dataset.url, file)).trim();
    const ms = Number(plan.match(/Execution Time: ([\d.]+) ms/)?.[1] ?? Number.NaN);
    return { plan, ms };
  };
  return {
    dataset: dataset.name,
    point,
    auto: await explain('auto'),
    generic: await explain('force_generic_plan'),
    custom: await explain('force_custom_plan'),
  };
}
