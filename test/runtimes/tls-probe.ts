// Can this runtime talk to the server over TLS? tools/runtimes.ts runs this under each runtime before
// anything else: one connection to MYSQL_URL with sslMode 'required' (STARTTLS upgrade of the TCP
// socket, unverified) and a short connect timeout. Prints the negotiated cipher; exits 1 on failure.

import { connect } from '../../src/index.ts'

const url = process.env['MYSQL_URL']
if (!url) {
  console.error('usage: MYSQL_URL=mysql://… <runtime> test/runtimes/tls-probe.ts')
  process.exit(2)
}
const conn = await connect(url, { sslMode: 'required', connectTimeoutMs: 5000 })
try {
  const rows = await conn.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
  const cipher = rows[0]?.Value ?? ''
  if (cipher === '') throw new Error('connected, but the session is not encrypted (Ssl_cipher is empty)')
  console.log(`TLS ok: ${cipher}`)
} finally {
  await conn.ensureClosed()
}
