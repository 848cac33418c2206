// MySQL wire-protocol constants under MySQL's own names, so the manual and the code grep together.
// Sources: MySQL "Client/Server Protocol" pages and MariaDB's protocol documentation.

/** Capability flags (CLIENT_*), negotiated in the handshake. */
export const Capability = {
  CLIENT_LONG_PASSWORD: 1,
  CLIENT_FOUND_ROWS: 2,
  CLIENT_LONG_FLAG: 4,
  CLIENT_CONNECT_WITH_DB: 8,
  CLIENT_NO_SCHEMA: 16,
  CLIENT_COMPRESS: 32,
  CLIENT_ODBC: 64,
  CLIENT_LOCAL_FILES: 128,
  CLIENT_IGNORE_SPACE: 256,
  CLIENT_PROTOCOL_41: 512,
  CLIENT_INTERACTIVE: 1024,
  CLIENT_SSL: 2048,
  CLIENT_IGNORE_SIGPIPE: 4096,
  CLIENT_TRANSACTIONS: 8192,
  CLIENT_RESERVED: 16384,
  CLIENT_SECURE_CONNECTION: 32768,
  CLIENT_MULTI_STATEMENTS: 1 << 16,
  CLIENT_MULTI_RESULTS: 1 << 17,
  CLIENT_PS_MULTI_RESULTS: 1 << 18,
  CLIENT_PLUGIN_AUTH: 1 << 19,
  CLIENT_CONNECT_ATTRS: 1 << 20,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS: 1 << 22,
  CLIENT_SESSION_TRACK: 1 << 23,
  CLIENT_DEPRECATE_EOF: 1 << 24,
  /** MariaDB: the server does not claim CLIENT_LONG_PASSWORD (bit 0) when it is MariaDB. */
  MARIADB_CLIENT_MYSQL: 1,
} as const

/** MariaDB extended capabilities (the upper 32 bits, sent in the greeting's filler). */
export const MariaDbCapability = {
  MARIADB_CLIENT_PROGRESS: 1,
  MARIADB_CLIENT_COM_MULTI: 2,
  MARIADB_CLIENT_STMT_BULK_OPERATIONS: 4,
  MARIADB_CLIENT_EXTENDED_TYPE_INFO: 8,
  MARIADB_CLIENT_CACHE_METADATA: 16,
} as const

/** Server status flags carried in OK and EOF packets. */
export const ServerStatus = {
  /** A transaction is open. */
  SERVER_STATUS_IN_TRANS: 1,
  /** Autocommit is on. */
  SERVER_STATUS_AUTOCOMMIT: 2,
  /** Another result set follows this one. */
  SERVER_MORE_RESULTS_EXISTS: 8,
  /** The statement found no good index to use. */
  SERVER_QUERY_NO_GOOD_INDEX_USED: 16,
  /** The statement used no index (a full scan). */
  SERVER_QUERY_NO_INDEX_USED: 32,
  /** A server-side cursor was opened for a prepared statement. */
  SERVER_STATUS_CURSOR_EXISTS: 64,
  /** The server-side cursor's last row was sent. */
  SERVER_STATUS_LAST_ROW_SENT: 128,
  /** The current database was dropped. */
  SERVER_STATUS_DB_DROPPED: 256,
  /** sql_mode NO_BACKSLASH_ESCAPES is on: backslash is not an escape character in strings. */
  SERVER_STATUS_NO_BACKSLASH_ESCAPES: 512,
  /** A prepared statement's result columns changed since PREPARE. */
  SERVER_STATUS_METADATA_CHANGED: 1024,
  /** The statement took longer than long_query_time. */
  SERVER_QUERY_WAS_SLOW: 2048,
  /** This result set holds a procedure's OUT parameters. */
  SERVER_PS_OUT_PARAMS: 4096,
  /** The open transaction is read-only. */
  SERVER_STATUS_IN_TRANS_READONLY: 8192,
  /** Session state changed; the OK packet carries the details (session tracking). */
  SERVER_SESSION_STATE_CHANGED: 16384,
} as const

/** Command bytes (COM_*), the first byte of every command packet. */
export const Command = {
  COM_QUIT: 0x01,
  COM_INIT_DB: 0x02,
  COM_QUERY: 0x03,
  COM_FIELD_LIST: 0x04,
  COM_STATISTICS: 0x09,
  COM_PROCESS_KILL: 0x0c,
  COM_PING: 0x0e,
  COM_CHANGE_USER: 0x11,
  COM_STMT_PREPARE: 0x16,
  COM_STMT_EXECUTE: 0x17,
  COM_STMT_CLOSE: 0x19,
  COM_STMT_RESET: 0x1a,
  COM_SET_OPTION: 0x1b,
  COM_RESET_CONNECTION: 0x1f,
} as const

/** Column types (MYSQL_TYPE_*) as sent in column definitions. */
export const ColumnType = {
  /** Old-style DECIMAL (servers send NEWDECIMAL). */
  MYSQL_TYPE_DECIMAL: 0x00,
  /** TINYINT. */
  MYSQL_TYPE_TINY: 0x01,
  /** SMALLINT. */
  MYSQL_TYPE_SHORT: 0x02,
  /** INT. */
  MYSQL_TYPE_LONG: 0x03,
  /** FLOAT. */
  MYSQL_TYPE_FLOAT: 0x04,
  /** DOUBLE. */
  MYSQL_TYPE_DOUBLE: 0x05,
  /** The NULL literal's type. */
  MYSQL_TYPE_NULL: 0x06,
  /** TIMESTAMP. */
  MYSQL_TYPE_TIMESTAMP: 0x07,
  /** BIGINT. */
  MYSQL_TYPE_LONGLONG: 0x08,
  /** MEDIUMINT. */
  MYSQL_TYPE_INT24: 0x09,
  /** DATE. */
  MYSQL_TYPE_DATE: 0x0a,
  /** TIME. */
  MYSQL_TYPE_TIME: 0x0b,
  /** DATETIME. */
  MYSQL_TYPE_DATETIME: 0x0c,
  /** YEAR. */
  MYSQL_TYPE_YEAR: 0x0d,
  /** Internal DATE format (not sent to clients). */
  MYSQL_TYPE_NEWDATE: 0x0e,
  /** VARCHAR (internal; clients see VAR_STRING). */
  MYSQL_TYPE_VARCHAR: 0x0f,
  /** BIT. */
  MYSQL_TYPE_BIT: 0x10,
  /** Internal TIMESTAMP with fractional seconds (not sent to clients). */
  MYSQL_TYPE_TIMESTAMP2: 0x11,
  /** Internal DATETIME with fractional seconds (not sent to clients). */
  MYSQL_TYPE_DATETIME2: 0x12,
  /** Internal TIME with fractional seconds (not sent to clients). */
  MYSQL_TYPE_TIME2: 0x13,
  /** VECTOR (MySQL 9). */
  MYSQL_TYPE_VECTOR: 0xf2,
  /** JSON (MySQL; MariaDB sends JSON columns as BLOB with extended type 'json'). */
  MYSQL_TYPE_JSON: 0xf5,
  /** DECIMAL / NUMERIC. */
  MYSQL_TYPE_NEWDECIMAL: 0xf6,
  /** ENUM (usually sent as STRING with ENUM_FLAG). */
  MYSQL_TYPE_ENUM: 0xf7,
  /** SET (usually sent as STRING with SET_FLAG). */
  MYSQL_TYPE_SET: 0xf8,
  /** TINYBLOB / TINYTEXT. */
  MYSQL_TYPE_TINY_BLOB: 0xf9,
  /** MEDIUMBLOB / MEDIUMTEXT. */
  MYSQL_TYPE_MEDIUM_BLOB: 0xfa,
  /** LONGBLOB / LONGTEXT. */
  MYSQL_TYPE_LONG_BLOB: 0xfb,
  /** BLOB / TEXT (the server sends this for every BLOB and TEXT size). */
  MYSQL_TYPE_BLOB: 0xfc,
  /** VARCHAR / VARBINARY. */
  MYSQL_TYPE_VAR_STRING: 0xfd,
  /** CHAR / BINARY (and ENUM, SET). */
  MYSQL_TYPE_STRING: 0xfe,
  /** Spatial types (GEOMETRY, POINT, …). */
  MYSQL_TYPE_GEOMETRY: 0xff,
} as const

/** Column definition flags. */
export const FieldFlag = {
  /** Declared NOT NULL. */
  NOT_NULL_FLAG: 1,
  /** Part of the primary key. */
  PRI_KEY_FLAG: 2,
  /** Part of a unique key. */
  UNIQUE_KEY_FLAG: 4,
  /** Part of a non-unique key. */
  MULTIPLE_KEY_FLAG: 8,
  /** A BLOB or TEXT column. */
  BLOB_FLAG: 16,
  /** An UNSIGNED number. */
  UNSIGNED_FLAG: 32,
  /** Declared ZEROFILL. */
  ZEROFILL_FLAG: 64,
  /** Binary data or a binary collation. */
  BINARY_FLAG: 128,
  /** An ENUM column. */
  ENUM_FLAG: 256,
  /** Declared AUTO_INCREMENT. */
  AUTO_INCREMENT_FLAG: 512,
  /** A TIMESTAMP column. */
  TIMESTAMP_FLAG: 1024,
  /** A SET column. */
  SET_FLAG: 2048,
} as const

/** The `binary` pseudo-charset: a column with this collation id holds bytes, not text. */
export const BINARY_COLLATION_ID = 63

/** Largest payload of one physical packet; a payload of exactly this size continues in the next. */
export const MAX_PACKET_PAYLOAD = 0xffffff
