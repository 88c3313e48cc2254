import { type Compilable, type CompiledQuery, createQueryId } from 'kysely';

/**
 * Build-once queries. Building a Kysely query (an immutable operation tree)
 * and compiling it to SQL costs more CPU per call than the driver does; on
 * the hot path both are done once per query *shape*, and each call only
 * binds its values into the parameter list. The SQL text is therefore the
 * same on every call of a shape, which also suits prepared statements.
 *
 * `build` receives stand-ins for the argument values and must hand them to
 * Kysely as values (bound parameters) untouched: a stand-in that is
 * computed with (`limit + 1`, a template string) never reaches the
 * parameters, and compiling throws rather than bind a wrong value.
 */

const STAND_IN = Symbol('query argument');

interface StandIn {
  readonly [STAND_IN]: string;
}

const isStandIn = (value: unknown): value is StandIn =>
  typeof value === 'object' && value !== null && STAND_IN in value;

/** Where one parameter's value comes from: an argument, or a constant of the query. */
type ParameterSource = { readonly arg: string } | { readonly constant: unknown };

interface Template<R> {
  readonly query: CompiledQuery<R>;
  readonly sources: readonly ParameterSource[];
}

/** A cache of compiled query shapes; see the module comment. */
export interface QueryTemplates {
  /**
   * The compiled query of `shape` with `args` bound. `build` runs the first
   * time a shape is seen, with stand-ins in place of `args`' values. The
   * caller's `shape` key must name everything `build` branches on.
   */
  bind<A extends Record<string, unknown>, R>(
    shape: string,
    args: A,
    build: (args: A) => Compilable<R>,
  ): CompiledQuery<R>;
}

function compileTemplate<A extends Record<string, unknown>, R>(
  shape: string,
  args: A,
  build: (args: A) => Compilable<R>,
): Template<R> {
  const standIns = Object.fromEntries(Object.keys(args).map((name) => [name, { [STAND_IN]: name }])) as A;
  const query = build(standIns).compile();
  const sources = query.parameters.map(
    (value): ParameterSource => (isStandIn(value) ? { arg: value[STAND_IN] } : { constant: value }),
  );
  const used = new Set(sources.flatMap((source) => ('arg' in source ? [source.arg] : [])));
  const lost = Object.keys(args).filter((name) => !used.has(name));
  if (lost.length > 0) {
    throw new Error(
      `query shape ${shape}: arguments ${lost.join(', ')} are not bound parameters (computed with, or unused)`,
    );
  }
  return { query, sources };
}

/** An empty cache. Shapes are few and fixed by the code, so it is not bounded. */
export function createQueryTemplates(): QueryTemplates {
  const templates = new Map<string, Template<unknown>>();
  return {
    bind<A extends Record<string, unknown>, R>(
      shape: string,
      args: A,
      build: (args: A) => Compilable<R>,
    ): CompiledQuery<R> {
      let template = templates.get(shape) as Template<R> | undefined;
      if (template === undefined) {
        template = compileTemplate(shape, args, build);
        templates.set(shape, template);
      }
      const parameters = template.sources.map((source) =>
        'arg' in source ? args[source.arg] : source.constant,
      );
      // A query id of its own per call: cancelling one call must never match another's query.
      return { ...template.query, queryId: createQueryId(), parameters };
    },
  };
}
