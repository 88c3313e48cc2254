import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { createQueryTemplates } from '../src/query-template.js';

// Compiles only: a Kysely with PostgreSQL's compiler and a driver that never connects.
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const byName = (args: { name: string; limit: number }) =>
  db
    .selectFrom('things')
    .select('id')
    .where('name', '=', args.name)
    .where(sql<boolean>`version > ${2}`)
    .limit(args.limit);

describe('query templates', () => {
  it('builds a shape once and binds each call’s values in place of the stand-ins', () => {
    const templates = createQueryTemplates();
    let builds = 0;
    const build = (args: { name: string; limit: number }) => {
      builds++;
      return byName(args);
    };
    const first = templates.bind('by-name', { name: 'Berlin', limit: 5 }, build);
    const second = templates.bind('by-name', { name: "O'Brien; --", limit: 9 }, build);
    expect(builds).toBe(1);
    const direct = byName({ name: "O'Brien; --", limit: 9 }).compile();
    expect(second.sql).toBe(direct.sql);
    expect(second.parameters).toEqual(direct.parameters);
    expect(first.parameters).toEqual(['Berlin', 2, 5]);
    expect(first.sql).toBe(second.sql);
    expect(second.sql).not.toContain('Brien');
  });

  it('gives every call a query id of its own, so a cancellation never matches another call', () => {
    const templates = createQueryTemplates();
    const a = templates.bind('by-name', { name: 'a', limit: 1 }, byName);
    const b = templates.bind('by-name', { name: 'b', limit: 1 }, byName);
    expect(a.queryId.queryId).not.toBe(b.queryId.queryId);
  });

  it('refuses a build that computes with an argument instead of binding it', () => {
    const templates = createQueryTemplates();
    expect(() =>
      templates.bind('computed', { limit: 5 }, (args) =>
        db
          .selectFrom('things')
          .select('id')
          .limit(args.limit + 1),
      ),
    ).toThrow(/limit are not bound parameters/);
    expect(() =>
      templates.bind('unused', { name: 'x', limit: 5 }, (args) =>
        db.selectFrom('things').select('id').limit(args.limit),
      ),
    ).toThrow(/name are not bound parameters/);
  });
});
