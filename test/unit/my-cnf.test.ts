// my.cnf parsing (groups, spellings, quoting, comments, ignored lines) and how the file is layered
// under URL and explicit options in resolveConfig.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { resolveConfig } from '../../src/config.ts'
import { ProgrammingError } from '../../src/errors.ts'
import { applyDefaultsFile, parseOptionFile, readDefaults } from '../../src/my-cnf.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'aiomysql-cnf-'))
after(() => rmSync(dir, { recursive: true, force: true }))

let counter = 0
function cnf(text: string): string {
  const file = path.join(dir, `my-${++counter}.cnf`)
  writeFileSync(file, text)
  return file
}

test('my.cnf: [client] keys in both spellings, the named group overriding it', () => {
  const file = cnf(`
# a comment
; another comment
[mysqld]
port = 1111
user = mysqld_user

[client]
host = db.example
port=3307
user = app
password = pw1
database = appdb
default_character_set = latin1
connect-timeout = 4
init_command = SET time_zone = '+00:00'

[aiomysql]
user = other
db = otherdb
`)
  assert.deepEqual(readDefaults(file), {
    host: 'db.example',
    port: 3307,
    user: 'app',
    password: 'pw1',
    db: 'appdb',
    charset: 'latin1',
    connectTimeoutMs: 4000,
    initCommand: "SET time_zone = '+00:00'",
  })
  const named = readDefaults(file, 'aiomysql')
  assert.equal(named.user, 'other')
  assert.equal(named.db, 'otherdb')
  assert.equal(named.host, 'db.example')
  // Group names are case-insensitive, as in MySQL.
  assert.equal(readDefaults(file, 'AIOMYSQL').user, 'other')
  // A group that is not there just leaves [client].
  assert.equal(readDefaults(file, 'nope').user, 'app')
})

test('my.cnf: quoted values, escapes, inline comments, bare options and !include', () => {
  const groups = parseOptionFile(
    [
      '!include /etc/mysql/other.cnf',
      '!includedir /etc/mysql/conf.d/',
      'orphan = before any group',
      '[client]',
      `password = "p#ss \\"word\\" \\\\ end"  # trailing comment`,
      `user = 'it\\'s'`,
      'host = plain # comment here',
      'socket = /tmp/my\\ssock',
      'database = C:\\data\\x',
      'loose-ssl-mode = REQUIRED',
      'skip-ssl',
      `empty =`,
      `quoted_empty = ""`,
      'unterminated = "abc',
      '  spaced_key   =    spaced value   ',
    ].join('\r\n'),
  )
  const client = groups.get('client')
  assert.ok(client)
  assert.equal(client.get('password'), 'p#ss "word" \\ end')
  assert.equal(client.get('user'), "it's")
  assert.equal(client.get('host'), 'plain')
  assert.equal(client.get('socket'), '/tmp/my sock')
  // A backslash before a character with no escape meaning stays (Windows paths).
  assert.equal(client.get('database'), 'C:\\data\\x')
  assert.equal(client.get('ssl-mode'), 'REQUIRED')
  assert.equal(client.get('skip-ssl'), null)
  assert.equal(client.get('empty'), '')
  assert.equal(client.get('quoted-empty'), '')
  assert.equal(client.get('unterminated'), '"abc')
  assert.equal(client.get('spaced-key'), 'spaced value')
  assert.ok(!client.has('orphan'))
  assert.deepEqual([...groups.keys()], ['client'])
})

test('my.cnf: socket, ssl-mode and TLS files; unknown keys ignored; a bare password is no password', () => {
  const ca = path.join(dir, 'ca.pem')
  writeFileSync(ca, 'CA PEM')
  const cert = path.join(dir, 'cert.pem')
  writeFileSync(cert, 'CERT PEM')
  const file = cnf(`[client]
socket = /run/mysqld/mysqld.sock
ssl-ca = ${ca}
ssl_cert = "${cert}"
ssl-key = ${cert}
ssl-mode = verify_ca
password
pager = less
compress
`)
  const o = readDefaults(file)
  assert.equal(o.unixSocket, '/run/mysqld/mysqld.sock')
  assert.equal(o.sslMode, 'verify-ca')
  assert.ok(o.ssl !== undefined && typeof o.ssl === 'object')
  assert.deepEqual(o.ssl.ca, Buffer.from('CA PEM'))
  assert.deepEqual(o.ssl.cert, Buffer.from('CERT PEM'))
  assert.deepEqual(o.ssl.key, Buffer.from('CERT PEM'))
  assert.ok(!('password' in o))
  assert.equal(o.compress, true, 'a bare compress is the mysql CLI flag')
  assert.deepEqual(Object.keys(o).sort(), ['compress', 'ssl', 'sslMode', 'unixSocket'])
})

test('my.cnf: compress as the mysql CLI reads it; skip-compress and a later group turn it off', () => {
  const cases: Array<[string, boolean]> = [
    ['compress', true],
    ['compress = 1', true],
    ['compress = TRUE', true],
    ['compress = on', true],
    ['compress = 0', false],
    ['compress = false', false],
    ['compress = OFF', false],
    ['skip-compress', false],
    ['disable_compress', false],
  ]
  for (const [line, want] of cases)
    assert.equal(readDefaults(cnf(`[client]\n${line}\n`)).compress, want, line)
  assert.equal(readDefaults(cnf('[client]\ncompress\n[app]\nskip-compress\n'), 'app').compress, false)
  assert.equal(readDefaults(cnf('[client]\nuser = u\n')).compress, undefined, 'absent: not set')
  assert.throws(() => readDefaults(cnf('[client]\ncompress = maybe\n')), ProgrammingError)
})

test('my.cnf: errors name the file, never a value', () => {
  assert.throws(
    () => readDefaults(path.join(dir, 'missing.cnf')),
    (e: unknown) => {
      assert.ok(e instanceof ProgrammingError)
      assert.match(e.message, /missing\.cnf.*ENOENT/)
      return true
    },
  )
  assert.throws(() => readDefaults(cnf('[client]\nssl-ca = /no/such/ca.pem\n')), /ssl-ca.*ENOENT/)
  assert.throws(() => readDefaults(cnf('[client]\nssl-mode = sometimes\n')), /ssl-mode/)
  assert.throws(() => resolveConfig({ readDefaultFile: cnf('[client]\nport = abc\n') }), /port/)
})

test('resolveConfig: explicit options win over the URL, and both over the file', () => {
  const file = cnf(`[client]
host = file-host
port = 3310
user = file-user
password = file-pw
database = file-db
`)
  const fileOnly = resolveConfig({ readDefaultFile: file })
  assert.equal(fileOnly.host, 'file-host')
  assert.equal(fileOnly.port, 3310)
  assert.equal(fileOnly.user, 'file-user')
  assert.equal(fileOnly.password, 'file-pw')
  assert.equal(fileOnly.db, 'file-db')

  const urlOverFile = resolveConfig(
    `mysql://url-user@url-host/url-db?readDefaultFile=${encodeURIComponent(file)}`,
  )
  assert.equal(urlOverFile.host, 'url-host')
  assert.equal(urlOverFile.user, 'url-user')
  assert.equal(urlOverFile.db, 'url-db')
  assert.equal(urlOverFile.port, 3310)
  assert.equal(urlOverFile.password, 'file-pw')

  const explicit = resolveConfig({ user: 'me', database: 'mine', readDefaultFile: file }, 'mysql://u@h')
  assert.equal(explicit.user, 'me')
  // `database` given explicitly: the file's db must not collide with it.
  assert.equal(explicit.db, 'mine')
  assert.equal(explicit.host, 'h')
  // The password stays hidden however it arrived.
  assert.ok(!JSON.stringify(fileOnly).includes('file-pw'))
})

test('resolveConfig: readDefaultGroup picks the group; the file socket applies to localhost only', () => {
  const file = cnf(`[client]
socket = /tmp/file.sock
[app]
user = app-user
`)
  const c = resolveConfig({ readDefaultFile: file, readDefaultGroup: 'app' })
  assert.equal(c.user, 'app-user')
  assert.equal(c.unixSocket, '/tmp/file.sock')
  assert.equal(resolveConfig({ readDefaultFile: file, host: 'localhost' }).unixSocket, '/tmp/file.sock')
  // Asked for a TCP host: MySQL would not use the socket, and neither do we.
  assert.equal(resolveConfig({ readDefaultFile: file, host: '10.1.2.3' }).unixSocket, undefined)
  assert.equal(resolveConfig({ readDefaultFile: file, unixSocket: '/x.sock' }).unixSocket, '/x.sock')
})

test('resolveConfig: TLS from the file follows the sslMode rules, and explicit ssl or disabled wins', () => {
  const ca = path.join(dir, 'ca2.pem')
  writeFileSync(ca, 'CA')
  const file = cnf(`[client]\nssl-ca = ${ca}\n`)
  // ssl given (by the file) without sslMode means verify-identity.
  assert.equal(resolveConfig({ readDefaultFile: file }).sslMode, 'verify-identity')
  assert.deepEqual(resolveConfig({ readDefaultFile: file }).ssl.ca, Buffer.from('CA'))
  const disabled = resolveConfig({ readDefaultFile: file, sslMode: 'disabled' })
  assert.equal(disabled.sslMode, 'disabled')
  assert.deepEqual(disabled.ssl, {})
  assert.deepEqual(resolveConfig({ readDefaultFile: file, ssl: { ca: 'mine' } }).ssl, { ca: 'mine' })
  const modeFile = cnf(`[client]\nssl-mode = REQUIRED\n`)
  assert.equal(resolveConfig({ readDefaultFile: modeFile }).sslMode, 'required')
  assert.equal(
    resolveConfig({ readDefaultFile: modeFile, sslMode: 'verify-identity' }).sslMode,
    'verify-identity',
  )
})

test('applyDefaultsFile: without readDefaultFile the options are returned as they are', () => {
  const o = { host: 'h' }
  assert.equal(applyDefaultsFile(o), o)
})
