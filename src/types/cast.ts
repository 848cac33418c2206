// The per-column conversion hook (`castColumn`, mysql2's typeCast done once per column): the user's
// function sees each column's definition when a result's definitions arrive and returns a converter
// for that column's values, or undefined to keep the standard value. The default path is untouched:
// without a hook no decoder is wrapped, and nothing is ever decided per cell or generated as code.

import type { Column } from '../protocol/column.ts'
import type { CellDecoder } from '../protocol/text-row.ts'
import type { ResolvedTypeOptions } from './options.ts'

/** Turns a column's standard value (never NULL: NULL stays null) into the value rows should hold. */
export type ValueConverter = (value: unknown) => unknown

/**
 * Chooses, once per column of a result, how its values are converted: a ValueConverter, or
 * undefined for the standard value (SPEC §5 and the type options).
 */
export type CastColumn = (column: Column) => ValueConverter | undefined

/** The decoder for `column`, wrapped in the hook's converter when the hook gives one. */
export function castDecoder(decode: CellDecoder, column: Column, types: ResolvedTypeOptions): CellDecoder {
  const cast = types.castColumn
  if (cast === null) return decode
  const convert: unknown = cast(column)
  if (convert === undefined) return decode
  if (typeof convert !== 'function') {
    throw new TypeError(
      `castColumn must return a function or undefined for column ${JSON.stringify(column.name)}, got ${typeof convert}`,
    )
  }
  const c = convert as ValueConverter
  return (buf, start, end) => c(decode(buf, start, end))
}
