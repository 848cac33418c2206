// RowProxy: one result row read by position (row[0]), by name (row.name, row['name']) or whole
// (asTuple()). Each row is a Proxy over a small target with one shared handler. Column names are
// only ever looked up as data: they cannot reach the prototype, and the row's own methods always win
// over a column of the same name (which stays readable with get(name) and by position).

import { InvalidRequestError, NoSuchColumnError } from './errors.ts'

/** What every row offers, whatever its columns are called. */
export interface RowMethods {
  /** The values in column order (a fresh array). */
  asTuple(): unknown[]
  /** The column names in order; a repeated name appears twice. */
  keys(): string[]
  /** The number of columns. */
  readonly length: number
  /** A value by name or position: the way to reach a column named like one of these methods. */
  get(key: string | number): unknown
  /** Whether the row has a column of that name, or that position. */
  has(key: string | number): boolean
  /** The values in column order: `const [id, name] = row`. */
  [Symbol.iterator](): IterableIterator<unknown>
}

/**
 * A row of a ResultProxy. `RowProxy<{ id: number; name: string }>` types `row.id` and `row.name`;
 * positions (`row[0]`) are `unknown`. An unknown name is a NoSuchColumnError, a name that two
 * columns share an InvalidRequestError.
 */
export type RowProxy<T extends object = Record<string, unknown>> = RowMethods & {
  readonly [K in Exclude<keyof T, keyof RowMethods>]: T[K]
} & { readonly [index: number]: unknown }

// Names the handler resolves on the row itself, before any column.
const METHODS: ReadonlySet<string> = new Set(['asTuple', 'keys', 'length', 'get', 'has'])
// Names generic code probes on any object (promise resolution, JSON.stringify, React, test
// matchers). Without a column of that name they read as undefined instead of NoSuchColumnError,
// so a row can be awaited, serialised and compared like a plain object.
const PROBES: ReadonlySet<string> = new Set(['then', 'toJSON', '$$typeof', 'asymmetricMatch', 'nodeType'])
const AMBIGUOUS = -1

/** The column layout shared by every row of one result. */
export class RowLayout {
  readonly keys: readonly string[]
  /** Each name once, in column order (what Object.keys(row) lists). */
  readonly names: readonly string[]
  /** Name → position, or AMBIGUOUS for a name two columns share. A Map: names never touch a prototype. */
  readonly #positions = new Map<string, number>()

  constructor(keys: readonly string[]) {
    this.keys = Object.freeze([...keys])
    keys.forEach((key, i) => this.#positions.set(key, this.#positions.has(key) ? AMBIGUOUS : i))
    this.names = Object.freeze([...this.#positions.keys()])
  }

  hasName(name: string): boolean {
    return this.#positions.has(name)
  }

  /** The position of a name; throws for an ambiguous or unknown one. */
  position(name: string): number {
    const i = this.#positions.get(name)
    if (i === undefined)
      throw new NoSuchColumnError(`Could not locate column in row for column '${clip(name)}'`)
    if (i === AMBIGUOUS) {
      throw new InvalidRequestError(
        `Ambiguous column name '${clip(name)}' in result set; read it by position or alias it in SQL`,
      )
    }
    return i
  }
}

const STATE = Symbol('RowProxy.state')

interface RowState {
  readonly layout: RowLayout
  readonly values: readonly unknown[]
}

/** The proxy target. Its methods run with `this` = the proxy, so they read state through the handler. */
class Row implements RowMethods {
  declare readonly [STATE]: RowState

  asTuple(): unknown[] {
    return [...this[STATE].values]
  }

  keys(): string[] {
    return [...this[STATE].layout.keys]
  }

  get length(): number {
    return this[STATE].values.length
  }

  get(key: string | number): unknown {
    const { layout, values } = this[STATE]
    if (typeof key === 'number') {
      if (!Number.isInteger(key) || key < 0 || key >= values.length) {
        throw new NoSuchColumnError(`Row has no column at position ${key} (it has ${values.length})`)
      }
      return values[key]
    }
    return values[layout.position(String(key))]
  }

  has(key: string | number): boolean {
    const { layout, values } = this[STATE]
    if (typeof key === 'number') return Number.isInteger(key) && key >= 0 && key < values.length
    return layout.hasName(String(key))
  }

  *[Symbol.iterator](): IterableIterator<unknown> {
    yield* this[STATE].values
  }

  // util.inspect shows the target of a proxy and calls this with `this` = the proxy.
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    const { layout, values } = this[STATE]
    if (layout.names.length !== layout.keys.length) return `RowProxy ${inspect(values, options)}`
    const shown: Record<string, unknown> = {}
    layout.keys.forEach((key, i) => Object.defineProperty(shown, key, { value: values[i], enumerable: true }))
    return `RowProxy ${inspect(shown, options)}`
  }
}

/** A canonical array index ('0', '12'; not '01', '-1', '1.5'), or -1. */
function indexOf(p: string): number {
  const c = p.charCodeAt(0)
  if (!(c >= 0x30 && c <= 0x39)) return -1
  const n = Number(p)
  return Number.isSafeInteger(n) && String(n) === p ? n : -1
}

const handler: ProxyHandler<Row> = {
  get(target, p, receiver) {
    if (typeof p === 'symbol' || METHODS.has(p)) return Reflect.get(target, p, receiver) as unknown
    const { layout, values } = target[STATE]
    const i = indexOf(p)
    if (i !== -1) {
      if (i >= values.length) {
        throw new NoSuchColumnError(`Row has no column at position ${i} (it has ${values.length})`)
      }
      return values[i]
    }
    if (layout.hasName(p)) return values[layout.position(p)]
    if (PROBES.has(p)) return undefined
    // Object.prototype's members (constructor, toString, ...) when no column takes the name.
    if (p in target) return Reflect.get(target, p, receiver) as unknown
    return layout.position(p) // throws NoSuchColumnError
  },
  has(target, p) {
    if (typeof p === 'symbol' || METHODS.has(p)) return p in target
    const { layout, values } = target[STATE]
    const i = indexOf(p)
    return i !== -1 ? i < values.length : layout.hasName(p) || p in target
  },
  // Object.keys, spread and JSON.stringify see the column names (each once) as own properties.
  ownKeys(target) {
    return [...target[STATE].layout.names]
  },
  getOwnPropertyDescriptor(target, p) {
    if (typeof p !== 'string' || !target[STATE].layout.hasName(p)) return undefined
    const { layout, values } = target[STATE]
    return { value: values[layout.position(p)], writable: false, enumerable: true, configurable: true }
  },
  // Rows are read-only: every write reports failure (a TypeError in strict-mode code).
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
  setPrototypeOf: () => false,
  preventExtensions: () => false,
}

/** A row over `values` (kept, not copied: the caller hands over a fresh array). */
export function makeRow<T extends object>(layout: RowLayout, values: readonly unknown[]): RowProxy<T> {
  const target = Object.create(Row.prototype) as Row
  Object.defineProperty(target, STATE, { value: { layout, values }, configurable: true })
  return new Proxy(target, handler) as unknown as RowProxy<T>
}

// Column names come from the server or the caller; keep messages short.
const clip = (name: string): string => (name.length > 64 ? name.slice(0, 61) + '...' : name)
