// The shared MySQL lexer: quoted tokens with and without backslash escapes, comments by MySQL's
// rules, executable comments, words.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  EXECUTABLE_COMMENT,
  executableCommentAt,
  lineCommentAt,
  markerOffsets,
  versionNumber,
  type ServerVersion,
  quotedEnd,
  skipBlank,
  unquote,
  wordEnd,
} from '../../../src/sql/lexer.ts'

test('quotedEnd: doubled quotes, backslash escapes only in strings and only when asked', () => {
  // A doubled quote closes the token and at once opens the next: 'it' then 's'.
  assert.equal(quotedEnd("'it''s' x", 0, true), 4)
  assert.equal(quotedEnd("'it''s' x", 4, true), 7)
  assert.equal(quotedEnd("'a\\'b' x", 0, true), 6)
  assert.equal(quotedEnd("'a\\'b' x", 0, false), 4)
  assert.equal(quotedEnd('`a\\`b', 0, true), 4, 'identifiers have no escapes')
  assert.equal(quotedEnd("'never closed", 0, true), -1)
  assert.equal(quotedEnd("'ends with backslash\\'", 0, true), -1)
})

test('unquote: the value the server reads', () => {
  assert.equal(unquote("'it''s'", 0, true), "it's")
  assert.equal(unquote("'a\\nb\\\\c\\Z'", 0, true), 'a\nb\\c\x1a')
  assert.equal(unquote("'a\\nb'", 0, false), 'a\\nb')
  assert.equal(unquote('"x"', 0, true), 'x')
  assert.equal(unquote("'open", 0, true), null)
})

test('comments: # and -- need MySQL spacing; executable comments are code', () => {
  assert.equal(lineCommentAt('# x', 0), true)
  assert.equal(lineCommentAt('-- x', 0), true)
  assert.equal(lineCommentAt('--', 0), true)
  assert.equal(lineCommentAt('--x', 0), false, '--x is minus minus x')
  assert.equal(executableCommentAt('/*! 1 */', 0), 3)
  assert.equal(executableCommentAt('/*M!100000 1 */', 0), 4)
  assert.equal(executableCommentAt('/* 1 */', 0), 0)
  assert.equal(skipBlank('  /* c */ -- d\n# e\n  x', 0), 21)
  assert.equal(skipBlank(' /*! x */', 0), EXECUTABLE_COMMENT)
  assert.equal(skipBlank(' /* open', 0), -1)
})

test('words: letters, digits, _ and $ and anything beyond ASCII', () => {
  assert.equal(wordEnd('ab_1$é(', 0), 6)
  assert.equal(wordEnd('(x', 0), 0)
})

test('versionNumber reads the server version as comments write it', () => {
  assert.equal(versionNumber('10.11.19-MariaDB-0+deb12u1'), 101119)
  assert.equal(versionNumber('5.5.5-10.6.16-MariaDB-log'), 100616)
  assert.equal(versionNumber('8.0.35'), 80035)
  assert.equal(versionNumber('8.4.0-commercial'), 80400)
  assert.equal(versionNumber('not a version'), 0)
})

test('versioned executable comments: which ones each server runs decides where markers are (bug 4)', () => {
  const maria: ServerVersion = { mariaDb: true, version: 101119 }
  const mysql: ServerVersion = { mariaDb: false, version: 80035 }
  const count = (sql: string, server?: ServerVersion): number =>
    markerOffsets(sql, true, undefined, server).length
  const cases: Array<[string, number, number, number]> = [
    // sql, unknown server (all run), MariaDB 10.11.19, MySQL 8.0.35
    ['SELECT 1 /*! , ? */', 1, 1, 1],
    ['SELECT 1 /*!50000 , ? */', 1, 1, 1],
    ['SELECT 1 /*!50700 , ? */', 1, 0, 1], // MariaDB skips MySQL 5.7+ versions
    ['SELECT 1 /*!80000 , ? */', 1, 0, 1],
    ['SELECT 1 /*!80036 , ? */', 1, 0, 0], // newer than this MySQL
    ['SELECT 1 /*!100000 , ? */', 1, 1, 1], // MySQL reads five digits: 10000 runs (`0` is then code)
    ['SELECT 1 /*M!100100 , ? */', 1, 1, 0], // MySQL: a plain comment
    ['SELECT 1 /*M!999999 , ? */', 1, 0, 0],
    ['SELECT 1 /*M! , ? */', 1, 1, 0],
    // A skipped one may hold one nested comment: the `?` after it is still inside.
    ['SELECT 1 /*!99999 , /**/ ? */', 1, 0, 0],
  ]
  for (const [sql, all, onMaria, onMysql] of cases) {
    assert.equal(count(sql), all, `unknown server: ${sql}`)
    assert.equal(count(sql, maria), onMaria, `MariaDB: ${sql}`)
    assert.equal(count(sql, mysql), onMysql, `MySQL: ${sql}`)
  }
})
