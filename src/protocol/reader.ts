// PacketReader: a bounded cursor over one payload. Every read checks the end first, so a truncated
// or lying packet becomes a MalformedPacket exception, never an out-of-bounds read or a hang.

import { MalformedPacket } from './malformed.ts'

export class PacketReader {
  buf: Buffer
  pos: number
  end: number

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf
    this.pos = pos
    this.end = end
  }

  /** Point the reader at another payload (one reader is reused for every packet). */
  reset(buf: Buffer, pos = 0, end = buf.length): this {
    this.buf = buf
    this.pos = pos
    this.end = end
    return this
  }

  get remaining(): number {
    return this.end - this.pos
  }

  need(n: number): void {
    if (this.pos + n > this.end)
      throw new MalformedPacket(`packet truncated: need ${n} bytes at offset ${this.pos}`)
  }

  peekUInt8(): number {
    this.need(1)
    return this.buf[this.pos]!
  }

  readUInt8(): number {
    this.need(1)
    return this.buf[this.pos++]!
  }

  readUInt16(): number {
    this.need(2)
    const v = this.buf.readUInt16LE(this.pos)
    this.pos += 2
    return v
  }

  readUInt24(): number {
    this.need(3)
    const b = this.buf
    const p = this.pos
    this.pos += 3
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)
  }

  readUInt32(): number {
    this.need(4)
    const v = this.buf.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }

  /** 8-byte unsigned integer: a number when it is a safe integer, otherwise a bigint. */
  readUInt64(): number | bigint {
    this.need(8)
    const lo = this.buf.readUInt32LE(this.pos)
    const hi = this.buf.readUInt32LE(this.pos + 4)
    this.pos += 8
    if (hi < 0x200000) return hi * 0x100000000 + lo
    return (BigInt(hi) << 32n) | BigInt(lo)
  }

  skip(n: number): void {
    this.need(n)
    this.pos += n
  }

  /**
   * Length-encoded integer. Returns -1 for the 0xFB NULL marker. 8-byte values above 2^53 are
   * refused: they only occur as lengths (which no bounded packet can satisfy) or in OK packets,
   * which use readLenencIntExact instead.
   */
  readLenencInt(): number {
    const first = this.readUInt8()
    if (first < 0xfb) return first
    switch (first) {
      case 0xfb:
        return -1
      case 0xfc:
        return this.readUInt16()
      case 0xfd:
        return this.readUInt24()
      case 0xfe: {
        const v = this.readUInt64()
        if (typeof v === 'bigint') throw new MalformedPacket('length-encoded integer too large')
        return v
      }
      default:
        throw new MalformedPacket(`invalid length-encoded integer prefix 0x${first.toString(16)}`)
    }
  }

  /** Length-encoded integer that may exceed 2^53 (affected rows, insert id). */
  readLenencIntExact(): number | bigint {
    const first = this.peekUInt8()
    if (first === 0xfe) {
      this.pos++
      return this.readUInt64()
    }
    const v = this.readLenencInt()
    if (v < 0) throw new MalformedPacket('unexpected NULL marker')
    return v
  }

  readLenencBytes(): Buffer {
    const len = this.readLenencInt()
    if (len < 0) throw new MalformedPacket('unexpected NULL marker')
    return this.readBytes(len)
  }

  readLenencString(): string {
    const len = this.readLenencInt()
    if (len < 0) throw new MalformedPacket('unexpected NULL marker')
    this.need(len)
    const s = this.buf.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return s
  }

  skipLenencString(): void {
    const len = this.readLenencInt()
    if (len > 0) this.skip(len)
  }

  /** A view (not a copy) of the next n bytes. */
  readBytes(n: number): Buffer {
    this.need(n)
    const b = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return b
  }

  /** NUL-terminated string; a missing terminator is malformed. */
  readNulString(encoding: BufferEncoding = 'utf8'): string {
    const i = this.buf.indexOf(0, this.pos)
    if (i < 0 || i >= this.end) throw new MalformedPacket('unterminated string')
    const s = this.buf.toString(encoding, this.pos, i)
    this.pos = i + 1
    return s
  }

  /** The rest of the payload as a view. */
  readRest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end)
    this.pos = this.end
    return b
  }

  readRestString(): string {
    const s = this.buf.toString('utf8', this.pos, this.end)
    this.pos = this.end
    return s
  }
}
