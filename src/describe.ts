// DB-API column descriptions (cursor.description, PreparedStatement.columns) from column definitions.

import type { Column } from './protocol/column.ts'
import { FieldFlag } from './protocol/constants.ts'

/** DB-API 7-tuple: name, typeCode, displaySize, internalSize, precision, scale, nullOk. */
export type ColumnDescription = readonly [
  name: string,
  typeCode: number,
  displaySize: null,
  internalSize: number,
  precision: number,
  scale: number,
  nullOk: boolean,
]

export function describe(columns: readonly Column[]): ColumnDescription[] {
  return columns.map((c) => [
    c.name,
    c.type,
    null,
    c.columnLength,
    c.columnLength,
    c.decimals,
    (c.flags & FieldFlag.NOT_NULL_FLAG) === 0,
  ])
}
