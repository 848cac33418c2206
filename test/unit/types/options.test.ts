// resolveTypeOptions: defaults, accepted spellings, and a TypeError naming the option for bad values.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_TYPE_OPTIONS, resolveTypeOptions, type TypeOptions } from '../../../src/types/options.ts'

test('defaults', () => {
  const o = resolveTypeOptions({})
  assert.deepEqual(o, {
    tzOffset: null,
    dateStrings: false,
    decimalNumbers: false,
    bigIntMode: 'auto',
    jsonParse: true,
    castColumn: null,
  })
  assert.deepEqual(resolveTypeOptions(), o)
  assert.deepEqual(DEFAULT_TYPE_OPTIONS, o)
  assert.ok(Object.isFrozen(o))
})

test('every option is carried through', () => {
  const hook = (): undefined => undefined
  const o = resolveTypeOptions({
    timezone: '+05:30',
    dateStrings: true,
    decimalNumbers: true,
    bigIntMode: 'string',
    jsonParse: false,
    castColumn: hook,
  })
  assert.deepEqual(o, {
    tzOffset: 330,
    dateStrings: true,
    decimalNumbers: true,
    bigIntMode: 'string',
    jsonParse: false,
    castColumn: hook,
  })
})

test('timezone spellings', () => {
  assert.equal(resolveTypeOptions({ timezone: 'local' }).tzOffset, null)
  assert.equal(resolveTypeOptions({ timezone: 'Z' }).tzOffset, 0)
  assert.equal(resolveTypeOptions({ timezone: '-08:00' }).tzOffset, -480)
  assert.equal(resolveTypeOptions({ timezone: '+14:00' }).tzOffset, 840)
})

test('undefined means the default (JavaScript callers, spread configs)', () => {
  const o = resolveTypeOptions({ timezone: undefined, jsonParse: undefined } as unknown as TypeOptions)
  assert.equal(o.tzOffset, null)
  assert.equal(o.jsonParse, true)
})

test('other keys (connection options sharing the object) are ignored', () => {
  const o = resolveTypeOptions({ host: 'db', port: 3306, timezone: 'Z' } as TypeOptions)
  assert.equal(o.tzOffset, 0)
})

test('bad values are TypeErrors that name the option', () => {
  const bad: [unknown, RegExp][] = [
    [{ timezone: 'Europe/Paris' }, /timezone/],
    [{ timezone: '+5:30' }, /timezone/],
    [{ timezone: '+15:00' }, /out of range/],
    [{ timezone: 0 }, /timezone must be a string, got 0/],
    [{ dateStrings: 'yes' }, /dateStrings must be a boolean, got "yes"/],
    [{ decimalNumbers: 1 }, /decimalNumbers must be a boolean, got 1/],
    [{ jsonParse: null }, /jsonParse must be a boolean, got null/],
    [{ bigIntMode: 'number' }, /bigIntMode must be 'auto', 'bigint' or 'string', got "number"/],
    [{ bigIntMode: true }, /bigIntMode/],
    [null, /must be an object/],
    ['Z', /must be an object/],
  ]
  for (const [input, message] of bad) {
    assert.throws(
      () => resolveTypeOptions(input as TypeOptions),
      (e: unknown) => e instanceof TypeError && message.test(e.message),
    )
  }
})

void test('regression: a timezone with minutes above 59 is refused', async () => {
  const { parseTimezone } = await import('../../../src/types/temporal.ts')
  assert.throws(() => parseTimezone('+05:99'), TypeError)
  assert.throws(() => parseTimezone('+00:60'), TypeError)
})
