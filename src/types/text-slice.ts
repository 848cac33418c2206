// Text from a byte range of a Buffer, by the shortest path the runtime offers. Node's Buffer has
// native utf8Slice/latin1Slice methods under toString(); calling them directly skips toString's
// argument handling, which showed as the largest JS frame of the row-decoding profile. Where they are
// missing (other runtimes), toString() does the same job. Callers pass bounds already checked.

import { Buffer } from 'node:buffer'

type Slice = (start: number, end: number) => string

const proto = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice }
const native = typeof proto.utf8Slice === 'function' && typeof proto.latin1Slice === 'function'

/** UTF-8 text of buf[start, end). */
export const utf8Text: (buf: Buffer, start: number, end: number) => string = native
  ? (buf, start, end) => (buf as unknown as { utf8Slice: Slice }).utf8Slice(start, end)
  : (buf, start, end) => buf.toString('utf8', start, end)

/** Latin-1 text of buf[start, end): exact for the ASCII the server sends for numbers and dates. */
export const latin1Text: (buf: Buffer, start: number, end: number) => string = native
  ? (buf, start, end) => (buf as unknown as { latin1Slice: Slice }).latin1Slice(start, end)
  : (buf, start, end) => buf.toString('latin1', start, end)
