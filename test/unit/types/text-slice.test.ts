// text-slice: the native fast path gives exactly what Buffer#toString gives, invalid UTF-8 included.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { latin1Text, utf8Text } from '../../../src/types/text-slice.ts'

test('utf8Text and latin1Text equal toString for every range of mixed and invalid bytes', () => {
  const bytes = Buffer.from([
    0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc3, 0x00, 0x7a,
  ])
  for (let start = 0; start <= bytes.length; start++) {
    for (let end = start; end <= bytes.length; end++) {
      assert.equal(utf8Text(bytes, start, end), bytes.toString('utf8', start, end))
      assert.equal(latin1Text(bytes, start, end), bytes.toString('latin1', start, end))
    }
  }
})
