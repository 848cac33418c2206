// The shared MySQL lexer: quoted tokens with and without backslash escapes, comments by MySQL's
// rules, executable comments, words.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  EXECUTABLE_COMMENT,
  executableCommentAt,
  lineCommentAt,
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
