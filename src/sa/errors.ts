// aiomysql.sa's own errors (sa/exc.py), rooted in MySQLError so `instanceof MySQLError` still catches
// everything this library throws. Python's NoSuchColumnError is also a KeyError; here it is an
// InvalidRequestError only. Codes are strings in an SA_ namespace; errno stays 0 (no server error).

import { MySQLError, type MySQLErrorOptions } from '../index.ts'

/** Base of the aiomysql/sa errors (Python's `aiomysql.sa.Error`). */
export class SAError extends MySQLError {
  constructor(message: string, options: MySQLErrorOptions = {}) {
    super(message, { code: 'SA_ERROR', ...options })
  }
}

/** A statement or its parameters were given in a form the layer does not accept. */
export class ArgumentError extends SAError {
  constructor(message: string, options: MySQLErrorOptions = {}) {
    super(message, { code: 'SA_ARGUMENT', ...options })
  }
}

/** The call is not valid in the object's current state (inactive transaction, ambiguous column...). */
export class InvalidRequestError extends ArgumentError {
  constructor(message: string, options: MySQLErrorOptions = {}) {
    super(message, { code: 'SA_INVALID_REQUEST', ...options })
  }
}

/** The result or connection was closed (or never returned rows). */
export class ResourceClosedError extends InvalidRequestError {
  constructor(message: string, options: MySQLErrorOptions = {}) {
    super(message, { code: 'SA_RESOURCE_CLOSED', ...options })
  }
}

/** A row has no column of that name or position. */
export class NoSuchColumnError extends InvalidRequestError {
  constructor(message: string, options: MySQLErrorOptions = {}) {
    super(message, { code: 'SA_NO_SUCH_COLUMN', ...options })
  }
}
