import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** Statements worth preparing: reads and the import upsert, whose text repeats. */
const PREPARABLE = /^\s*(select|with|insert|delete)\b/i;

/** The prepared-statement name of a SQL text: stable, short, per text. */
export function statementName(sql: string): string {
  return `gs_${createHash('sha1').update(sql).digest('base64url').slice(0, 20)}`;
}

/** Names already computed, by SQL text. The texts are few (queries are compiled per shape); the bound is a guard. */
const names = new Map<string, string>();
const MAX_NAMES = 1_000;

function cachedStatementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    if (names.size >= MAX_NAMES) names.clear();
    name = statementName(sql);
    names.set(sql, name);
  }
  return name;
}

/**
 * Wraps a pg pool for Kysely so that repeated statements run as named
 * prepared statements: PostgreSQL parses and plans each distinct SQL text
 * once per connection instead of on every call. Values stay bound
 * parameters. Everything else (cancellation, release) passes through.
 */
export function withPreparedStatements(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let proxy = wrapped.get(client);
    if (proxy === undefined) {
      const query = (sql: unknown, parameters?: readonly unknown[]) =>
        typeof sql === 'string' && PREPARABLE.test(sql)
          ? client.query({ name: cachedStatementName(sql), text: sql, values: parameters as unknown[] })
          : client.query(sql as string, parameters as unknown[]);
      proxy = new Proxy(client, {
        get: (target, property, receiver) =>
          property === 'query' ? query : Reflect.get(target, property, receiver),
      }) as unknown as PostgresPoolClient;
      wrapped.set(client, proxy);
    }
    return proxy;
  };
  return {
    Client: (pool as unknown as { Client: NonNullable<PostgresPool['Client']> }).Client,
    options: pool.options,
    connect: async () => wrap(await pool.connect()),
    end: () => pool.end(),
  };
}
