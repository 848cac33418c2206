// Bugs the fuzzing found that are not fixed yet. Each has a deterministic reproduction, a `todo` test
// (so the suite stays green) in test/integration/fuzz-regressions.test.ts (bug 4: versioned executable
// comments; bugs 1–3 and 5, fixed, are plain regression tests there and in
// test/unit/fuzz-regressions.test.ts). The
// properties steer around the open ones so they keep finding *other* bugs instead of these again.
// FUZZ_KNOWN_BUGS=1 turns the steering off: run the fuzz that way to see whether a fix holds, then
// delete the entry here and the `todo` in the regression test.

const include = process.env['FUZZ_KNOWN_BUGS'] === '1'

/**
 * Bug 4: a versioned executable comment the server does not run is a plain comment to it, but the
 * lexer reads every executable comment as code. MariaDB 10.11 skips `/*!50700 … *\/`, `/*!80000 … *\/`,
 * `/*!99999 … *\/` and `/*M!101120 … *\/` and up (it runs `/*!50000`, `/*!100000`, `/*M!101119`); MySQL
 * skips `/*M!…*\/` and versions above its own. `SELECT 1 /*!80000 , ? *\/` has one marker for the lexer
 * and none for MariaDB. Returns the versions to generate: those every supported server runs (and
 * `M!100100`, which the MariaDB the tests start runs).
 */
export function commentVersions(all: readonly string[]): string[] {
  const runEverywhere = new Set(['', '50000', 'M!100100'])
  return all.filter((v) => include || runEverywhere.has(v))
}
