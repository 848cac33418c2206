/*
 * The libmariadb (MariaDB Connector/C) reference row of `npm run bench`: the same workloads as the Node
 * workers, done the plain way a C program would, timed the same way, printing the same one JSON line.
 * bench/run.ts compiles it with the system `cc` when libmariadb-dev is installed and runs it pinned to
 * CPU 1 like every other worker.
 *
 *   reference <select1|decode|stream|bulk|pool|prepared|pipeline> <count> <warmup> <table-rows>
 *             <threads> [ca.pem]
 *   reference --version
 *
 * The server comes from the environment (BENCH_MYSQL_HOST, _PORT, _USER, _PASSWORD, _DB), so the
 * password is not on the command line. With a CA file the connection must be TLS, verified against that
 * CA and the host name; without one it must be plain. Either way the transport is checked after connect.
 *
 * Rows are not converted to numbers or dates (a C program reads the text it needs): this row is the cost
 * of the protocol and the driver, the floor the Node drivers are measured against.
 */
#define _POSIX_C_SOURCE 200809L

#include <mysql.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* One INSERT statement grows up to about this many bytes, well under any max_allowed_packet. */
#define MAX_STATEMENT (1024 * 1024)

static struct {
  const char *workload;
  long count;
  long warmup;
  long table_rows;
  int threads;
  const char *ca; /* NULL: plain TCP */
  const char *host;
  const char *user;
  const char *password;
  const char *db;
  unsigned int port;
} cfg;

/* Written at the end so the compiler cannot drop the reads that touch every field. */
static volatile uint64_t sink;

static pthread_mutex_t die_lock = PTHREAD_MUTEX_INITIALIZER;

/* Prints s as a JSON string body; server error messages may hold quotes or control characters. */
static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(out, "\\u%04x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

/* The worker contract: one JSON line on stdout, then exit. Any thread may fail; the first one reports. */
_Noreturn static void print_and_exit(const char *key, int code, const char *fmt, va_list ap) {
  char message[2048];
  vsnprintf(message, sizeof message, fmt, ap);
  pthread_mutex_lock(&die_lock);
  printf("{\"%s\":", key);
  json_string(stdout, message);
  printf("}\n");
  fflush(stdout);
  _exit(code);
}

_Noreturn static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_and_exit("error", 1, fmt, ap);
}

_Noreturn static void skip(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  print_and_exit("skipped", 0, fmt, ap);
}

static MYSQL *open_connection(void) {
  MYSQL *m = mysql_init(NULL);
  if (m == NULL) die("mysql_init: out of memory");
  /* The Node drivers all talk utf8mb4; libmariadb's build default may differ. */
  if (mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0) die("cannot set charset utf8mb4");
  if (cfg.ca != NULL) {
    my_bool on = 1;
    /* Encrypted and verified, like the Node drivers under --tls: the CA, the host name, no fallback. */
    if (mysql_options(m, MYSQL_OPT_SSL_CA, cfg.ca) != 0 ||
        mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) != 0 ||
        mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on) != 0)
      die("cannot set the TLS options");
  }
  if (mysql_real_connect(m, cfg.host, cfg.user, cfg.password, cfg.db, cfg.port, NULL, 0) == NULL)
    die("connect to %s:%u: %s", cfg.host, cfg.port, mysql_error(m));
  const char *cipher = mysql_get_ssl_cipher(m);
  if (cfg.ca != NULL && cipher == NULL) die("TLS was asked for but the connection is plain");
  /* A newer libmariadb may encrypt by default; a plain run must stay plain to compare like with like. */
  if (cfg.ca == NULL && cipher != NULL) die("libmariadb negotiated TLS (%s) on a plain run", cipher);
  return m;
}

static void run_query(MYSQL *m, const char *sql, size_t length) {
  if (mysql_real_query(m, sql, (unsigned long)length) != 0)
    die("%.60s: %s", sql, mysql_error(m));
}

static void run_string(MYSQL *m, const char *sql) { run_query(m, sql, strlen(sql)); }

/*
 * Reads every row of a result, touching every field (first byte and length), as the Node drivers touch
 * every value when they decode it. Returns the row count; *acc collects the touched bytes.
 */
static long consume(MYSQL *m, MYSQL_RES *res, uint64_t *acc) {
  unsigned int fields = mysql_num_fields(res);
  long rows = 0;
  MYSQL_ROW row;
  while ((row = mysql_fetch_row(res)) != NULL) {
    unsigned long *lengths = mysql_fetch_lengths(res);
    for (unsigned int i = 0; i < fields; i++)
      *acc += row[i] != NULL ? (unsigned char)row[i][0] + lengths[i] : 1;
    rows++;
  }
  /* For mysql_use_result, NULL also means a read error. */
  if (mysql_errno(m) != 0) die("fetching rows: %s", mysql_error(m));
  return rows;
}

static void expect_rows(long got, long want, const char *what) {
  if (got != want) die("%s: expected %ld rows, got %ld", what, want, got);
}

/* The ids of bench/workloads.ts pointIds(): the same fixed-seed LCG, so every driver reads the same rows. */
static int *point_ids(long n) {
  int *ids = malloc((size_t)(n > 0 ? n : 1) * sizeof *ids);
  if (ids == NULL) die("out of memory");
  uint32_t x = 12345;
  for (long k = 0; k < n; k++) {
    x = x * 1664525u + 1013904223u;
    ids[k] = (int)(x % (uint32_t)cfg.table_rows) + 1;
  }
  return ids;
}

static long do_select1(MYSQL *m, long n) {
  uint64_t acc = 0;
  for (long k = 0; k < n; k++) {
    run_string(m, "SELECT 1");
    MYSQL_RES *res = mysql_store_result(m);
    if (res == NULL) die("SELECT 1: %s", mysql_error(m));
    expect_rows(consume(m, res, &acc), 1, "select1");
    mysql_free_result(res);
  }
  sink += acc;
  return n;
}

/* Full-table reads, buffered (mysql_store_result) or streamed (mysql_use_result). */
static long do_read_all(MYSQL *m, long times, int streamed) {
  uint64_t acc = 0;
  long total = 0;
  for (long k = 0; k < times; k++) {
    run_string(m, "SELECT * FROM bench_rows");
    MYSQL_RES *res = streamed ? mysql_use_result(m) : mysql_store_result(m);
    if (res == NULL) die("SELECT * FROM bench_rows: %s", mysql_error(m));
    long rows = consume(m, res, &acc);
    mysql_free_result(res);
    expect_rows(rows, cfg.table_rows, streamed ? "stream" : "decode");
    total += rows;
  }
  sink += acc;
  return total;
}

static void flush_insert(MYSQL *m, const char *sql, size_t length, long rows, uint64_t *affected) {
  run_query(m, sql, length);
  my_ulonglong n = mysql_affected_rows(m);
  if (n != (my_ulonglong)rows) die("bulk: INSERT of %ld rows affected %llu", rows, (unsigned long long)n);
  *affected += n;
}

/*
 * The rows of bulkRows() in bench/workloads.ts, (v, 'bulk row v some text to fill', v * 1.25 + 0.5),
 * as multi-row INSERTs of up to MAX_STATEMENT bytes inside one transaction. Every string is escaped with
 * mysql_real_escape_string, as a C program inserting user data must.
 */
static long do_bulk(MYSQL *m, long n) {
  static const char head[] = "INSERT INTO bench_bulk (a, b, c) VALUES ";
  char *sql = malloc(MAX_STATEMENT + 512);
  if (sql == NULL) die("out of memory");
  size_t length = 0;
  long in_statement = 0;
  uint64_t affected = 0;
  run_string(m, "START TRANSACTION");
  for (long v = 0; v < n; v++) {
    char text[64];
    char escaped[2 * sizeof text + 1];
    char tuple[256];
    int text_length = snprintf(text, sizeof text, "bulk row %ld some text to fill", v);
    mysql_real_escape_string(m, escaped, text, (unsigned long)text_length);
    /* Every v * 1.25 + 0.5 is exact in binary, so %.17g prints it exactly (and as JS does). */
    int tuple_length = snprintf(tuple, sizeof tuple, "(%ld,'%s',%.17g)", v, escaped, v * 1.25 + 0.5);
    if (in_statement > 0 && length + 1 + (size_t)tuple_length > MAX_STATEMENT) {
      flush_insert(m, sql, length, in_statement, &affected);
      in_statement = 0;
    }
    if (in_statement == 0) {
      memcpy(sql, head, sizeof head - 1);
      length = sizeof head - 1;
    } else {
      sql[length++] = ',';
    }
    memcpy(sql + length, tuple, (size_t)tuple_length);
    length += (size_t)tuple_length;
    in_statement++;
  }
  if (in_statement > 0) flush_insert(m, sql, length, in_statement, &affected);
  run_string(m, "COMMIT");
  free(sql);
  return (long)affected;
}

/* The pool workload: `threads` threads, each with its own connection, pulling the next id index. */
struct pool_run {
  const int *ids;
  long n;
  atomic_long next;
  atomic_uint_fast64_t acc;
};

struct pool_thread {
  struct pool_run *run;
  MYSQL *m;
};

static void *pool_worker(void *arg) {
  struct pool_thread *self = arg;
  struct pool_run *run = self->run;
  char sql[96];
  uint64_t acc = 0;
  mysql_thread_init();
  for (;;) {
    long k = atomic_fetch_add(&run->next, 1);
    if (k >= run->n) break;
    int length = snprintf(sql, sizeof sql, "SELECT * FROM bench_rows WHERE id = %d", run->ids[k]);
    run_query(self->m, sql, (size_t)length);
    MYSQL_RES *res = mysql_store_result(self->m);
    if (res == NULL) die("point select: %s", mysql_error(self->m));
    expect_rows(consume(self->m, res, &acc), 1, "pool");
    mysql_free_result(res);
  }
  atomic_fetch_add(&run->acc, acc);
  mysql_thread_end();
  return NULL;
}

static long do_pool(MYSQL **connections, const int *ids, long n) {
  struct pool_run run = {.ids = ids, .n = n};
  atomic_init(&run.next, 0);
  atomic_init(&run.acc, 0);
  pthread_t threads[64];
  struct pool_thread args[64];
  for (int t = 0; t < cfg.threads; t++) {
    args[t] = (struct pool_thread){.run = &run, .m = connections[t]};
    if (pthread_create(&threads[t], NULL, pool_worker, &args[t]) != 0) die("pthread_create failed");
  }
  for (int t = 0; t < cfg.threads; t++) pthread_join(threads[t], NULL);
  sink += atomic_load(&run.acc);
  return n;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double micros(struct timeval tv) { return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec; }

static long parse_long(const char *s, const char *what) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0) die("%s must be a non-negative integer, got '%s'", what, s);
  return v;
}

/*
 * The server's CPU time in µs (user + system of all its threads, /proc/<pid>/stat fields 14 and 15),
 * or -1 when BENCH_SERVER_PID is unset or unreadable: what bounds a workload when the server is busy.
 */
static double server_cpu_micros(void) {
  const char *pid = getenv("BENCH_SERVER_PID");
  if (pid == NULL || *pid == '\0') return -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* The command name (field 2) is in parentheses and may hold spaces: count fields after it. */
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu %llu", &utime, &stime) != 2) return -1;
  long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? (double)(utime + stime) * 1e6 / (double)ticks : -1;
}

static const char *env(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v != NULL ? v : fallback;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("%s\n", mysql_get_client_info());
    return 0;
  }
  if (argc != 6 && argc != 7)
    die("usage: reference <workload> <count> <warmup> <table-rows> <threads> [ca.pem]");
  cfg.workload = argv[1];
  cfg.count = parse_long(argv[2], "count");
  cfg.warmup = parse_long(argv[3], "warmup");
  cfg.table_rows = parse_long(argv[4], "table-rows");
  cfg.threads = (int)parse_long(argv[5], "threads");
  cfg.ca = argc == 7 ? argv[6] : NULL;
  cfg.host = env("BENCH_MYSQL_HOST", "127.0.0.1");
  cfg.port = (unsigned int)parse_long(env("BENCH_MYSQL_PORT", "3306"), "BENCH_MYSQL_PORT");
  cfg.user = env("BENCH_MYSQL_USER", "");
  cfg.password = env("BENCH_MYSQL_PASSWORD", "");
  cfg.db = env("BENCH_MYSQL_DB", "");
  if (cfg.table_rows < 1) die("table-rows must be positive");
  if (cfg.threads < 1 || cfg.threads > 64) die("threads must be 1..64");

  const char *w = cfg.workload;
  int is_pool = strcmp(w, "pool") == 0;
  if (strcmp(w, "prepared") == 0 || strcmp(w, "batch") == 0)
    skip("the C reference runs select1, decode, stream, bulk and pool only");
  if (strcmp(w, "pipeline") == 0) skip("libmariadb has no pipelining API (one command at a time)");
  if (!is_pool && strcmp(w, "select1") != 0 && strcmp(w, "decode") != 0 && strcmp(w, "stream") != 0 &&
      strcmp(w, "bulk") != 0)
    die("unknown workload '%s'", w);

  if (mysql_library_init(0, NULL, NULL) != 0) die("mysql_library_init failed");
  /* Connections are opened before the clock starts, as the Node workers open theirs. */
  int connection_count = is_pool ? cfg.threads : 1;
  MYSQL *connections[64] = {NULL};
  for (int t = 0; t < connection_count; t++) connections[t] = open_connection();
  MYSQL *m = connections[0];
  int *ids = is_pool ? point_ids(cfg.count > cfg.warmup ? cfg.count : cfg.warmup) : NULL;

  /* Warm-up first (it must leave the server as the timed run expects), then the timed run. */
  long ops = 0;
  struct rusage r0, r1;
  double t0 = 0, t1 = 0, server0 = -1, server1 = -1;
  for (int timed = 0; timed <= 1; timed++) {
    long n = timed ? cfg.count : cfg.warmup;
    if (timed) {
      getrusage(RUSAGE_SELF, &r0);
      server0 = server_cpu_micros();
      t0 = seconds_now();
    }
    if (strcmp(w, "select1") == 0) {
      ops = do_select1(m, n);
    } else if (strcmp(w, "decode") == 0 || strcmp(w, "stream") == 0) {
      ops = do_read_all(m, n, strcmp(w, "stream") == 0);
    } else if (strcmp(w, "bulk") == 0) {
      if (!timed) run_string(m, "TRUNCATE TABLE bench_bulk");
      ops = do_bulk(m, n);
      if (!timed) run_string(m, "TRUNCATE TABLE bench_bulk");
    } else {
      ops = do_pool(connections, ids, n);
    }
    if (timed) {
      t1 = seconds_now();
      server1 = server_cpu_micros();
      getrusage(RUSAGE_SELF, &r1);
    }
  }

  long want = strcmp(w, "decode") == 0 || strcmp(w, "stream") == 0 ? cfg.count * cfg.table_rows : cfg.count;
  if (ops != want) die("%s did %ld ops, expected %ld", w, ops, want);
  double seconds = t1 - t0;
  double user = micros(r1.ru_utime) - micros(r0.ru_utime);
  double sys = micros(r1.ru_stime) - micros(r0.ru_stime);
  double per_op = ops > 0 ? 1.0 / (double)ops : 0;
  /* ru_maxrss is in KiB on Linux, like Node's resourceUsage().maxRSS. */
  printf("{\"driver\":\"libmariadb\",\"workload\":");
  json_string(stdout, w);
  printf(",\"ops\":%ld,\"seconds\":%.9f,\"rate\":%.3f,\"cpuUsPerOp\":%.6f,\"userUsPerOp\":%.6f,"
         "\"systemUsPerOp\":%.6f,\"peakRssMiB\":%.3f",
         ops, seconds, seconds > 0 ? (double)ops / seconds : 0, (user + sys) * per_op, user * per_op,
         sys * per_op, (double)r1.ru_maxrss / 1024.0);
  if (server0 >= 0 && server1 >= server0) printf(",\"serverCpuUsPerOp\":%.6f", (server1 - server0) * per_op);
  printf("}\n");
  fflush(stdout);

  for (int t = 0; t < connection_count; t++) mysql_close(connections[t]);
  free(ids);
  mysql_library_end();
  return 0;
}
