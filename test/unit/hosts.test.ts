// Several servers in the options (SPEC §12): parseHosts (strings, host:port, bracketed IPv6, objects,
// the default port, and what it refuses), formatHost, splitMultiHostUrl and resolveConfig for
// multi-host URLs, the new options' validation, and withHost (one host's config, password hidden).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { resolveConfig, withHost, type ConnectionOptions } from '../../src/config.ts'
import { ProgrammingError } from '../../src/errors.ts'
import { formatHost, parseHosts, splitMultiHostUrl } from '../../src/hosts/addresses.ts'

void test('parseHosts: names, host:port, bracketed IPv6 and objects; the default port fills the gaps', () => {
  assert.deepEqual(
    parseHosts(
      [
        'db1',
        'db2:3307',
        '[::1]:3308',
        '[fe80::1]',
        '10.0.0.7:1',
        { host: 'db5', port: 3310 },
        { host: 'db6' },
      ],
      3306,
    ),
    [
      { host: 'db1', port: 3306 },
      { host: 'db2', port: 3307 },
      { host: '::1', port: 3308 },
      { host: 'fe80::1', port: 3306 },
      { host: '10.0.0.7', port: 1 },
      { host: 'db5', port: 3310 },
      { host: 'db6', port: 3306 },
    ],
  )
  assert.deepEqual(
    parseHosts(['db1'], 4000),
    [{ host: 'db1', port: 4000 }],
    'the default port is the one given',
  )
  assert.deepEqual(parseHosts([{ host: 'db', port: undefined }], 3306), [{ host: 'db', port: 3306 }])
  assert.deepEqual(parseHosts(['db:65535'], 3306), [{ host: 'db', port: 65535 }])
})

void test('parseHosts: an empty or missing list is a ProgrammingError', () => {
  for (const bad of [[], undefined, null, 'db1,db2', { host: 'db1' }]) {
    assert.throws(() => parseHosts(bad, 3306), ProgrammingError, JSON.stringify(bad))
  }
})

void test('parseHosts: a bad port or a malformed entry is a ProgrammingError', () => {
  const bad: unknown[] = [
    'db:0',
    'db:65536',
    'db:99999',
    'db:abc',
    'db:',
    'db:-1',
    '[::1]:0',
    { host: 'db', port: 0 },
    { host: 'db', port: 1.5 },
    { host: 'db', port: 70000 },
    { host: 'db', port: '3306' },
    { host: 'db', port: Number.NaN },
  ]
  for (const spec of bad) {
    assert.throws(() => parseHosts([spec], 3306), ProgrammingError, JSON.stringify(spec))
  }
  assert.throws(() => parseHosts(['db:0'], 3306), /port must be an integer from 1 to 65535/)
  const malformed: unknown[] = [
    '',
    ' ',
    'db 1',
    'fe80::1', // IPv6 needs brackets
    '[::1',
    'db:1:2',
    42,
    null,
    { host: '' },
    { port: 3306 },
    { host: 7 },
  ]
  for (const spec of malformed) {
    assert.throws(() => parseHosts([spec], 3306), ProgrammingError, JSON.stringify(spec))
  }
})

void test('parseHosts: the same address twice (in any spelling) is a ProgrammingError naming it', () => {
  assert.throws(() => parseHosts(['db1', 'db1'], 3306), /db1:3306 twice/)
  assert.throws(() => parseHosts(['db1', 'db1:3306'], 3306), ProgrammingError, 'the default port spelled out')
  assert.throws(() => parseHosts(['db1:3307', { host: 'db1', port: 3307 }], 3306), ProgrammingError)
  assert.throws(() => parseHosts(['[::1]:3307', { host: '::1', port: 3307 }], 3306), /\[::1\]:3307 twice/)
  // The same name on another port is another server.
  assert.equal(parseHosts(['db1', 'db1:3307'], 3306).length, 2)
})

void test('formatHost: host:port, IPv6 in brackets', () => {
  assert.equal(formatHost({ host: 'db1', port: 3306 }), 'db1:3306')
  assert.equal(formatHost({ host: '::1', port: 3307 }), '[::1]:3307')
})

void test('splitMultiHostUrl: keeps the first host for the URL parser and returns the list', () => {
  assert.deepEqual(
    splitMultiHostUrl('mysql://u:p%40ss@db1,db2:3307,[::1]:3308/app?loadBalance=round-robin'),
    {
      url: 'mysql://u:p%40ss@db1/app?loadBalance=round-robin',
      hosts: ['db1', 'db2:3307', '[::1]:3308'],
    },
  )
  assert.deepEqual(splitMultiHostUrl('mysql://db1,db2'), { url: 'mysql://db1', hosts: ['db1', 'db2'] })
  // A one-host URL, and commas outside the authority, leave the URL alone.
  for (const url of [
    'mysql://u:pw@db1:3307/app',
    'mysql://u@db1/app?initCommand=SET%20a=1,b=2',
    'not a url',
  ]) {
    assert.deepEqual(splitMultiHostUrl(url), { url, hosts: undefined })
  }
  // The host list starts after the last '@': a raw '@' or ',' in the password stays in the userinfo.
  assert.deepEqual(splitMultiHostUrl('mysql://u:a,b@c@db1,db2/app'), {
    url: 'mysql://u:a,b@c@db1/app',
    hosts: ['db1', 'db2'],
  })
  assert.throws(() => splitMultiHostUrl('mysql://u@db1,,db2/app'), ProgrammingError)
  assert.throws(() => splitMultiHostUrl('mysql://u@db1,/app'), /empty host/)
})

void test('resolveConfig: a multi-host URL gives hosts, user, password, db, query options and loadBalance', () => {
  const c = resolveConfig(
    'mysql://app%40corp:p%40ss%2Cw@db1,db2:3307,[::1]:3308/app?loadBalance=round-robin&hostDownMs=250&connectTimeoutMs=500',
  )
  assert.deepEqual(c.hosts, [
    { host: 'db1', port: 3306 },
    { host: 'db2', port: 3307 },
    { host: '::1', port: 3308 },
  ])
  assert.deepEqual(
    [c.host, c.port, c.user, c.password, c.db, c.loadBalance, c.hostDownMs, c.connectTimeoutMs],
    ['db1', 3306, 'app@corp', 'p@ss,w', 'app', 'round-robin', 250, 500],
  )
  // IPv6 first: config.host/port are the first host's, without brackets.
  const v6 = resolveConfig('mysql://u@[::1]:3307,db2/app')
  assert.deepEqual([v6.host, v6.port], ['::1', 3307])
  assert.deepEqual(v6.hosts[1], { host: 'db2', port: 3306 })
  // Explicit options win over the URL's query, as for one host.
  assert.equal(
    resolveConfig({ loadBalance: 'random' }, 'mysql://u@a,b/db?loadBalance=failover').loadBalance,
    'random',
  )
  assert.ok(Object.isFrozen(c.hosts), 'hosts is frozen')
})

void test('resolveConfig: the hosts option; config.host/port are the first host', () => {
  const c = resolveConfig({ hosts: ['db1:3310', { host: 'db2' }], user: 'u', password: 'pw' })
  assert.deepEqual([c.host, c.port], ['db1', 3310])
  assert.deepEqual(c.hosts, [
    { host: 'db1', port: 3310 },
    { host: 'db2', port: 3306 },
  ])
  assert.deepEqual(
    [c.loadBalance, c.healthCheck, c.healthCheckIntervalMs, c.hostDownMs, c.causalReads],
    ['failover', undefined, 5000, 1000, false],
    'the defaults',
  )
  const one = resolveConfig({ host: 'solo', port: 3311 })
  assert.deepEqual(one.hosts, [{ host: 'solo', port: 3311 }], 'one host: hosts is that host')
  assert.deepEqual(resolveConfig({}).hosts, [{ host: 'localhost', port: 3306 }])
  const check = (): boolean => true
  const withFn = resolveConfig({
    hosts: ['a', 'b'],
    healthCheck: check,
    causalReads: true,
    healthCheckIntervalMs: 0,
  })
  assert.deepEqual([withFn.healthCheck, withFn.causalReads, withFn.healthCheckIntervalMs], [check, true, 0])
  assert.equal(resolveConfig({ hosts: ['a'], healthCheck: 'galera' }).healthCheck, 'galera')
})

void test('resolveConfig: host or port together with hosts is a ProgrammingError (options or URL)', () => {
  const bad: Array<[ConnectionOptions, string | undefined]> = [
    [{ host: 'a', hosts: ['b'] }, undefined],
    [{ port: 3307, hosts: ['b'] }, undefined],
    [{ port: 3307 }, 'mysql://u@a,b/db'],
  ]
  for (const [options, url] of bad) {
    assert.throws(
      () => resolveConfig(options, url),
      (e: unknown) => e instanceof ProgrammingError && /host\/port and hosts/.test(e.message),
      `${JSON.stringify(options)} ${url ?? ''}`,
    )
  }
})

void test('resolveConfig: explicit hosts replace the URL host, an explicit host replaces the URL host list', () => {
  const a = resolveConfig({ hosts: ['b:1', 'c:2'] }, 'mysql://u:pw@a:3307/db?loadBalance=random')
  assert.deepEqual(a.hosts, [
    { host: 'b', port: 1 },
    { host: 'c', port: 2 },
  ])
  assert.deepEqual([a.user, a.password, a.db, a.loadBalance], ['u', 'pw', 'db', 'random'])
  const b = resolveConfig({ host: 'x' }, 'mysql://u@a,b:3307/db')
  assert.deepEqual(b.hosts, [{ host: 'x', port: 3306 }])
})

void test('resolveConfig: unixSocket together with hosts is a ProgrammingError', () => {
  assert.throws(
    () => resolveConfig({ hosts: ['a', 'b'], unixSocket: '/tmp/mysql.sock' }),
    /unixSocket and hosts/,
  )
  assert.throws(() => resolveConfig({ unixSocket: '/tmp/mysql.sock' }, 'mysql://u@a,b/db'), ProgrammingError)
})

void test('resolveConfig: bad hosts, loadBalance, healthCheck, hostDownMs, healthCheckIntervalMs are refused', () => {
  const bad: ConnectionOptions[] = [
    { hosts: [] },
    { hosts: ['a', 'a'] },
    { hosts: ['a:0'] },
    { hosts: 'a,b' as unknown as string[] },
    { hosts: ['a'], loadBalance: 'fastest' as never },
    { hosts: ['a'], healthCheck: 'tcp' as never },
    { hosts: ['a'], healthCheck: 42 as never },
    { hosts: ['a'], hostDownMs: 0 },
    { hosts: ['a'], hostDownMs: -5 },
    { hosts: ['a'], hostDownMs: 'soon' as never },
    { hosts: ['a'], healthCheckIntervalMs: -1 },
    { hosts: ['a'], causalReads: 'yes' as never },
  ]
  for (const options of bad) {
    assert.throws(() => resolveConfig(options), ProgrammingError, inspect(options))
  }
  for (const url of [
    'mysql://u@a,b/db?loadBalance=nope',
    'mysql://u@a,b/db?hostDownMs=abc',
    'mysql://u@a,b/db?hostDownMs=0',
    'mysql://u@a,b:0/db',
    'mysql://u@a,a/db',
  ]) {
    assert.throws(() => resolveConfig(url), ProgrammingError, url)
  }
  assert.throws(
    () => resolveConfig({ loadBalance: 'fastest' as never }),
    /loadBalance must be one of failover/,
  )
})

void test('withHost: the config aimed at one host, password hidden from JSON and inspect', () => {
  const config = resolveConfig({
    hosts: ['db1', 'db2:3307'],
    user: 'app',
    password: 'sekrit-Pw-99',
    db: 'shop',
  })
  const second = withHost(config, { host: 'db2', port: 3307 })
  assert.deepEqual([second.host, second.port, second.user, second.db], ['db2', 3307, 'app', 'shop'])
  assert.equal(second.password, 'sekrit-Pw-99', 'the password is still there for the handshake')
  assert.equal(second.hosts, config.hosts, 'the full list is kept')
  assert.ok(Object.isFrozen(second), 'frozen')
  assert.ok(!Object.keys(second).includes('password'), 'password not enumerable')
  for (const c of [config, second]) {
    assert.ok(!JSON.stringify(c).includes('sekrit'), 'not in JSON')
    assert.ok(!inspect(c).includes('sekrit'), 'not in util.inspect')
    assert.ok(!inspect(c, { showHidden: true, depth: 5 }).includes('sekrit'), 'not with showHidden either')
    assert.ok(!Object.values(c).some((v) => v === 'sekrit-Pw-99'), 'not among the enumerable values')
  }
  assert.match(inspect(second), /db2/, 'inspect names the host it is aimed at')
  // Its own first host: the same object, nothing copied.
  assert.equal(withHost(config, { host: 'db1', port: 3306 }), config)
  assert.equal(withHost(second, { host: 'db2', port: 3307 }), second)
  // A password provider survives as the same function, hidden too.
  const provider = (): string => 'from-the-vault'
  const p = withHost(resolveConfig({ hosts: ['a', 'b'], password: provider }), { host: 'b', port: 3306 })
  assert.equal(p.password, provider)
  assert.ok(!JSON.stringify(p).includes('vault'), 'provider not in JSON')
})
