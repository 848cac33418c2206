// Throwaway MariaDB for the test suite: a private datadir, unix socket and loopback port in a temp
// directory, TLS material made with the openssl CLI (served unless `tls: false`), and the test accounts.
// test/run.ts starts one per run. Every program gets --no-defaults, so nothing reads /etc/mysql or
// touches a system server, and nothing is ever run through a shell.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants as fsConstants, rmSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Harness } from './env.ts'

export interface ThrowawayServer {
  /** The mysql_native_password account with every privilege, over TCP. */
  url: string
  /** The server's root account over the unix socket (socket authentication, empty password). */
  rootUrl: string
  host: string
  port: number
  socketPath: string
  /** ca.pem, ca-key.pem, server-{cert,key}.pem, client-{cert,key}.pem and untrusted-ca.pem. */
  tlsDir: string
  users: {
    native: { user: string; password: string }
    ed25519: { user: string; password: string }
    nopass: { user: string; password: '' }
  }
  /** Stops mariadbd and removes the temp directory; safe to call more than once. */
  stop(): Promise<void>
}

/** The environment test processes read (test/support/env.ts): MYSQL_URL and the harness description. */
export function harnessEnv(server: ThrowawayServer): { MYSQL_URL: string; AIOMYSQL_TEST_HARNESS: string } {
  const harness: Harness = {
    socketPath: server.socketPath,
    tlsDir: server.tlsDir,
    users: server.users,
    rootUrl: server.rootUrl,
    port: server.port,
  }
  return { MYSQL_URL: server.url, AIOMYSQL_TEST_HARNESS: JSON.stringify(harness) }
}

export interface StartOptions {
  log?: (s: string) => void
  /**
   * Offer TLS (default true, what the tests need). false starts mariadbd without certificates, so every
   * client connects in plain text whatever its defaults: the benchmark compares drivers on one transport.
   * The certificates are still written to `tlsDir`.
   */
  tls?: boolean
}

const DATABASE = 'aiomysql_test'
const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 30_000
const STOP_GRACE_MS = 10_000
const TOOL_TIMEOUT_MS = 60_000
// Linux rejects unix socket paths longer than 107 bytes; a long TMPDIR (macOS-style) would hit it.
const MAX_SOCKET_PATH = 100

/**
 * Starts a private mariadbd and creates the test database and accounts.
 * @throws Error with the server's error-log tail if it does not come up within 30 s.
 */
export async function startThrowawayServer(opts: StartOptions = {}): Promise<ThrowawayServer> {
  const log = opts.log ?? (() => {})
  const bin = {
    mariadbd: findBinary(['mariadbd', 'mysqld']),
    installDb: findBinary(['mariadb-install-db', 'mysql_install_db']),
    client: findBinary(['mariadb', 'mysql']),
    openssl: findBinary(['openssl']),
  }
  const isRoot = process.getuid?.() === 0
  // With socket authentication the administrative account is the OS user that installed the datadir:
  // `root` when we run as root, otherwise install-db names the second socket account after us.
  const adminUser = isRoot ? 'root' : os.userInfo().username

  let dir = await mkdtemp(path.join(os.tmpdir(), 'aiomysql-test-'))
  if (path.join(dir, 'mysql.sock').length > MAX_SOCKET_PATH) {
    await rm(dir, { recursive: true, force: true })
    dir = await mkdtemp('/tmp/aiomysql-test-')
  }
  const paths = {
    data: path.join(dir, 'data'),
    tmp: path.join(dir, 'tmp'),
    tls: path.join(dir, 'tls'),
    socket: path.join(dir, 'mysql.sock'),
    pid: path.join(dir, 'mariadbd.pid'),
    errorLog: path.join(dir, 'error.log'),
  }

  // Everything spawned is tracked so the exit hook below can kill it even mid-startup.
  const helpers = new Set<ChildProcess>()
  let server: ChildProcess | undefined
  const onExit = (): void => {
    for (const child of [...helpers, server]) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', onExit)

  const tool = (file: string, args: readonly string[]): Promise<string> => runTool(file, args, helpers)

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (server) await terminate(server)
      await rm(dir, { recursive: true, force: true, maxRetries: 3 })
      process.off('exit', onExit)
    })()
    return stopping
  }

  try {
    await Promise.all([mkdir(paths.tmp), mkdir(paths.tls)])
    const installArgs = [
      '--no-defaults',
      ...(isRoot ? ['--user=root'] : []),
      `--datadir=${paths.data}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      '--skip-name-resolve',
      // Passed through to the bootstrap server, so the redo log is created at its final size and
      // mariadbd does not have to resize it on first start.
      '--innodb-log-file-size=48M',
      '--innodb-buffer-pool-size=64M',
    ]
    // install-db and certificate generation are independent; together they are most of the start time.
    await Promise.all([tool(bin.installDb, installArgs), makeTls(paths.tls, bin.openssl, tool)])
    log(`datadir and certificates ready in ${dir}`)

    const launchArgs = (port: number): string[] => [
      '--no-defaults',
      ...(isRoot ? ['--user=root'] : []),
      `--datadir=${paths.data}`,
      `--tmpdir=${paths.tmp}`,
      `--socket=${paths.socket}`,
      `--port=${port}`,
      `--bind-address=${HOST}`,
      '--skip-name-resolve',
      `--pid-file=${paths.pid}`,
      `--log-error=${paths.errorLog}`,
      ...(opts.tls === false
        ? // Explicit, because MariaDB 11.4+ generates a certificate of its own when given none.
          ['--skip-ssl']
        : [
            `--ssl-ca=${path.join(paths.tls, 'ca.pem')}`,
            `--ssl-cert=${path.join(paths.tls, 'server-cert.pem')}`,
            `--ssl-key=${path.join(paths.tls, 'server-key.pem')}`,
          ]),
      '--max-allowed-packet=64M',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=48M',
      '--plugin-load-add=auth_ed25519',
      '--local-infile=1',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      // Durability is worthless for a server that is deleted afterwards; skipping it speeds up DDL.
      '--skip-log-bin',
      '--innodb-doublewrite=0',
      '--innodb-flush-log-at-trx-commit=0',
      '--innodb-buffer-pool-load-at-startup=0',
      '--innodb-buffer-pool-dump-at-shutdown=0',
      // Adversity tests abort handshakes on purpose; the default of 100 would get 127.0.0.1 blocked
      // (ER_HOST_IS_BLOCKED) for the rest of the run.
      '--max-connect-errors=1000000',
      '--max-connections=500',
      // Connection attributes (programName, connectAttributes) are only visible here.
      '--performance-schema=ON',
    ]

    let port = 0
    // A port found free can be taken before mariadbd binds it, so a bind failure gets a new port.
    for (let attempt = 1; ; attempt++) {
      ;[port] = (await freePorts(1)) as [number]
      server = spawn(bin.mariadbd, launchArgs(port), { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
      const stderr = collectTail(server)
      const up = await waitUntilReady(server, paths.socket, READY_TIMEOUT_MS)
      if (up === 'ready') break
      const logTail = await tailOf(paths.errorLog)
      await terminate(server)
      const bindFailed = /Address already in use|Bind on TCP\/IP port/i.test(logTail)
      if (bindFailed && attempt < 3) {
        await rm(paths.errorLog, { force: true })
        continue
      }
      throw new Error(
        `mariadbd did not start (${up}).\n--- ${paths.errorLog} (tail) ---\n${logTail}\n--- stderr ---\n${await stderr()}`,
      )
    }
    log(`mariadbd ${server.pid ?? '?'} listening on ${HOST}:${port} and ${paths.socket}`)

    const password = (): string => randomBytes(18).toString('base64url')
    const users = {
      native: { user: 'aiomysql_test', password: password() },
      ed25519: { user: 'aiomysql_ed25519', password: password() },
      nopass: { user: 'aiomysql_nopass', password: '' as const },
    }
    // Each account exists at '%' (TCP) and 'localhost' (unix socket connections match only the
    // latter). base64url passwords contain no quote or backslash, so plain literals are safe.
    const both = (user: string): string[] => [`'${user}'@'%'`, `'${user}'@'localhost'`]
    const sql = [
      `CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
      ...both(users.native.user).flatMap((account) => [
        `CREATE USER ${account} IDENTIFIED VIA mysql_native_password USING PASSWORD('${users.native.password}')`,
        `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION`,
      ]),
      ...both(users.ed25519.user).flatMap((account) => [
        `CREATE USER ${account} IDENTIFIED VIA ed25519 USING PASSWORD('${users.ed25519.password}')`,
        `GRANT ALL PRIVILEGES ON *.* TO ${account}`,
      ]),
      ...both(users.nopass.user).flatMap((account) => [
        `CREATE USER ${account}`,
        `GRANT ALL PRIVILEGES ON *.* TO ${account}`,
      ]),
    ].join(';\n')
    await tool(bin.client, ['--no-defaults', `--socket=${paths.socket}`, `-u${adminUser}`, '-e', sql])
    log('test database and accounts created')

    const { user, password: pw } = users.native
    return {
      url: `mysql://${user}:${encodeURIComponent(pw)}@${HOST}:${port}/${DATABASE}`,
      rootUrl: `mysql://${adminUser}@localhost/${DATABASE}?unixSocket=${encodeURIComponent(paths.socket)}`,
      host: HOST,
      port,
      socketPath: paths.socket,
      tlsDir: paths.tls,
      users,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Finds a program on PATH or in the sbin directories a non-root PATH usually lacks. */
export function findBinary(
  names: readonly string[],
  hint = 'Install mariadb-server (and openssl), or set MYSQL_URL to use an existing server.',
): string {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  for (const name of names) {
    for (const dir of dirs) {
      if (!dir) continue
      const candidate = path.join(dir, name)
      try {
        accessSync(candidate, fsConstants.X_OK)
        return candidate
      } catch {
        // not here; keep looking
      }
    }
  }
  throw new Error(`${names.join(' / ')} not found on PATH or in /usr/sbin. ${hint}`)
}

/**
 * Runs a helper program to completion (bounded by TOOL_TIMEOUT_MS); the error carries its output,
 * which is where the reason is. `running` tracks it, so an exit hook can kill it.
 */
export function runTool(file: string, args: readonly string[], running: Set<ChildProcess>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        running.delete(child)
        if (error) {
          // error.message already holds the whole command line; the output's tail says why.
          const how = child.signalCode
            ? `was killed by ${child.signalCode}`
            : `failed (${error.message.split('\n')[0]})`
          const output = `${stdout}${stderr}`.trim().split('\n').slice(-30).join('\n')
          reject(new Error(`${path.basename(file)} ${how}${output ? `\n${output}` : ''}`, { cause: error }))
        } else {
          resolve(stdout)
        }
      },
    )
    running.add(child)
  })
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

/**
 * Writes a CA, a server certificate for localhost / 127.0.0.1 and a client certificate it signed,
 * plus an unrelated self-signed CA for "wrong CA" tests. All RSA 2048, valid for 2 days.
 */
async function makeTls(
  dir: string,
  openssl: string,
  tool: (file: string, args: readonly string[]) => Promise<string>,
): Promise<void> {
  const file = (name: string): string => path.join(dir, name)
  // Our own config keeps the result independent of the system openssl.cnf and OPENSSL_CONF.
  const config = file('openssl.cnf')
  await writeFile(config, OPENSSL_CONFIG)
  const serial = (): string => `0x${randomBytes(8).toString('hex')}`
  const days = '2'

  const key = (name: string): Promise<string> =>
    tool(openssl, [
      'genpkey',
      '-quiet',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      file(name),
    ])
  const selfSigned = (keyName: string, certName: string, cn: string): Promise<string> => {
    // prettier-ignore
    return tool(openssl, [
      'req', '-config', config, '-new', '-x509', '-key', file(keyName), '-subj', `/CN=${cn}`,
      '-extensions', 'ca_ext', '-days', days, '-set_serial', serial(), '-out', file(certName),
    ])
  }
  const signed = async (
    base: string,
    cn: string,
    extensions: string,
    ca: Promise<unknown>,
  ): Promise<void> => {
    await key(`${base}-key.pem`)
    // prettier-ignore
    await tool(openssl, [
      'req', '-config', config, '-new', '-key', file(`${base}-key.pem`), '-subj', `/CN=${cn}`,
      '-out', file(`${base}.csr`),
    ])
    await ca
    // prettier-ignore
    await tool(openssl, [
      'x509', '-req', '-in', file(`${base}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca-key.pem'),
      '-set_serial', serial(), '-days', days, '-extfile', config, '-extensions', extensions,
      '-out', file(`${base}-cert.pem`),
    ])
    await rm(file(`${base}.csr`))
  }

  // RSA key generation dominates, so the four keys are made concurrently.
  const ca = key('ca-key.pem').then(() => selfSigned('ca-key.pem', 'ca.pem', 'aiomysql test CA'))
  // Keep every promise observed so one failure cannot leave another rejected and unhandled.
  const settled = await Promise.allSettled([
    ca,
    signed('server', 'localhost', 'server_ext', ca),
    signed('client', 'aiomysql_test', 'client_ext', ca),
    key('untrusted-ca-key.pem').then(() =>
      selfSigned('untrusted-ca-key.pem', 'untrusted-ca.pem', 'aiomysql untrusted CA'),
    ),
  ])
  for (const result of settled) if (result.status === 'rejected') throw result.reason
}

/** A loopback port that was free a moment ago (the kernel picks it for a listen on port 0). */
/** Ports other local servers are likely to hold; never handed out. */
const RESERVED_PORTS: ReadonlySet<number> = new Set([3306, 3307, 4444, 4567, 4568])

/**
 * Every port this process has handed out. A port is free when chosen but bound only later (a Galera
 * node binds its SST port seconds after start), and the kernel may offer a released port again at
 * once: the throwaway server and the cluster, started side by side, once drew the same one.
 */
const handedOut = new Set<number>()

/**
 * `count` distinct loopback ports that are free now and were never handed out by this process. The
 * probes stay open until all are chosen, so the kernel cannot offer one of them twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes: net.Server[] = []
  const ports: number[] = []
  try {
    // Bounded: each probe holds a port the kernel will not offer again while it is open.
    while (ports.length < count) {
      if (probes.length >= count + 1000) throw new Error(`could not find ${count} free ports`)
      const probe = net.createServer()
      probe.unref()
      probes.push(probe)
      const port = await new Promise<number>((resolve, reject) => {
        probe.once('error', reject)
        probe.listen(0, HOST, () => {
          const address = probe.address()
          resolve(typeof address === 'object' && address ? address.port : 0)
        })
      })
      if (port !== 0 && !RESERVED_PORTS.has(port) && !handedOut.has(port)) {
        handedOut.add(port)
        ports.push(port)
      }
    }
    return ports
  } finally {
    await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))))
  }
}

/**
 * Polls the unix socket until the server sends a protocol-10 greeting. Returns why it gave up
 * otherwise, so the caller can decide whether a retry makes sense.
 */
async function waitUntilReady(child: ChildProcess, socketPath: string, timeoutMs: number): Promise<string> {
  let exited: string | undefined
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`))
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exited) return exited
    if (await greets(socketPath)) return 'ready'
    await new Promise((resolve) => setTimeout(resolve, 40))
  }
  return exited ?? `no greeting on ${socketPath} within ${timeoutMs / 1000} s`
}

function greets(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath)
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2000, () => done(false))
    // Byte 4 is the first payload byte after the 4-byte packet header: 0x0a is Handshake v10,
    // 0xff would be an ERR such as "too many connections".
    socket.once('data', (chunk: Buffer) => done(chunk.length > 4 && chunk[4] === 0x0a))
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}

/** SIGTERM lets mariadbd shut down cleanly (about 50 ms here); SIGKILL if it hangs. */
async function terminate(child: ChildProcess): Promise<void> {
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null
  if (!isRunning()) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const within = (ms: number): Promise<boolean> =>
    Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref()),
    ])
  child.kill('SIGTERM')
  if (await within(STOP_GRACE_MS)) return
  child.kill('SIGKILL')
  await within(5_000)
}

/** Keeps the last few KiB of a child's stderr for error messages (mariadbd logs to a file once up). */
export function collectTail(child: ChildProcess): () => Promise<string> {
  let tail = ''
  const stream = child.stderr
  if (!stream) return () => Promise.resolve('')
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4096)
  })
  // 'exit' can come before the pipe is drained, so reading waits (briefly) for it to close.
  const closed = new Promise<void>((resolve) => {
    stream.once('close', resolve)
    child.once('exit', () => setTimeout(resolve, 500).unref())
  })
  return async () => {
    await closed
    return tail.trim()
  }
}

/** The last `lines` lines of a log file, or a note that none was written. */
export async function tailOf(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no error log was written)'
  }
}
