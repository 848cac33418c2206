// Errors as the library raises them, for unit tests that feed failures to the pool and the retry rules.

import { OperationalError } from '../../src/errors.ts'

/**
 * A lost connection (2013 CR_SERVER_LOST), as a real connection reports it; `sentToServer` when given
 * (whether the failed command's bytes had left the client).
 */
export function lostConnectionError(sentToServer?: boolean): OperationalError {
  return new OperationalError('Lost connection to server during query', {
    errno: 2013,
    code: 'CR_SERVER_LOST',
    sqlState: 'HY000',
    fatal: true,
    ...(sentToServer === undefined ? {} : { sentToServer }),
  })
}
