// ColumnDefinition41: one record per result column, decoded once per result set.
// MariaDB may append extended type info (MARIADB_CLIENT_EXTENDED_TYPE_INFO), e.g. format "json".

import type { PacketReader } from './reader.ts'

/** One column of a result set as the server described it. */
export interface Column {
  /** Database of the column's table ('' for computed columns). */
  readonly schema: string
  /** Table alias as written in the query ('' for computed columns). */
  readonly table: string
  /** The table's real name. */
  readonly orgTable: string
  /** Column name or alias as written in the query. */
  readonly name: string
  /** The column's real name. */
  readonly orgName: string
  /** Collation id of the column's values (63 = binary). */
  readonly characterSet: number
  /** Length as the server reports it: display width for numbers (1 for TINYINT(1)), bytes for strings. */
  readonly columnLength: number
  /** MYSQL_TYPE_* (see ColumnType). */
  readonly type: number
  /** *_FLAG bits (see FieldFlag). */
  readonly flags: number
  /**
   * Digits after the decimal point (DECIMAL, FLOAT, DOUBLE), or the fractional-seconds precision of
   * temporal types.
   */
  readonly decimals: number
  /** MariaDB extended metadata: data type name (e.g. "point") or format ("json", "uuid"), else "". */
  readonly extendedType: string
}

/**
 * Decode one column definition payload. `extendedTypeInfo` says whether the MariaDB extended
 * metadata capability was negotiated (then a length-encoded block sits after the org name).
 */
export function decodeColumn(r: PacketReader, extendedTypeInfo: boolean): Column {
  r.skipLenencString() // catalog, always "def"
  const schema = r.readLenencString()
  const table = r.readLenencString()
  const orgTable = r.readLenencString()
  const name = r.readLenencString()
  const orgName = r.readLenencString()
  let extendedType = ''
  if (extendedTypeInfo) {
    const block = r.readLenencBytes()
    // Sub-entries: 1 byte kind (0 = type name, 1 = format), lenenc-like 1 byte length, data.
    let i = 0
    while (i + 2 <= block.length) {
      const kind = block[i]!
      const len = block[i + 1]!
      if (i + 2 + len > block.length) break
      const value = block.toString('latin1', i + 2, i + 2 + len)
      if (kind === 1 || extendedType === '') extendedType = value
      i += 2 + len
    }
  }
  r.readLenencInt() // length of the fixed fields, always 0x0c
  const characterSet = r.readUInt16()
  const columnLength = r.readUInt32()
  const type = r.readUInt8()
  const flags = r.readUInt16()
  const decimals = r.readUInt8()
  return {
    schema,
    table,
    orgTable,
    name,
    orgName,
    characterSet,
    columnLength,
    type,
    flags,
    decimals,
    extendedType,
  }
}
