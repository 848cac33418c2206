// How a decoded row becomes what the user sees: an array (Cursor, SSCursor) or a plain object
// (DictCursor, SSDictCursor). Object keys are fixed once per result set.

import type { Column } from '../protocol/column.ts'

export type RowMode = 'array' | 'object'

/**
 * Dict keys for a result: the column name, or `table.name` when the name repeats (aiomysql's rule).
 * Keys come from the server, so they are only ever used as data (own properties), never code.
 */
export function dictKeys(columns: readonly Column[]): string[] {
  // A result whose columns match the last one's comes as the same array (ColumnCache.stable).
  const known = keysOf.get(columns)
  if (known !== undefined) return known
  const keys = computeKeys(columns)
  keysOf.set(columns, keys)
  return keys
}

const keysOf = new WeakMap<readonly Column[], string[]>()

function computeKeys(columns: readonly Column[]): string[] {
  const seen = new Set<string>()
  return columns.map((c) => {
    let key = c.name
    if (seen.has(key)) key = `${c.table}.${c.name}`
    seen.add(key)
    return key
  })
}

/**
 * A plain object with Object.prototype whose keys are all own data properties. Assignment is
 * used for speed; `__proto__` is the one key where assignment would set the prototype instead,
 * so it (and only it) goes through defineProperty.
 */
export function objectRow(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    if (key === '__proto__') {
      Object.defineProperty(row, key, {
        value: values[i],
        writable: true,
        enumerable: true,
        configurable: true,
      })
    } else {
      row[key] = values[i]
    }
  }
  return row
}
