// PacketWriter: a growable payload builder. It keeps 4 bytes free at the front so the framing
// header can be written in place for payloads under 16 MiB (no second copy on the hot path).

export const HEADER_SIZE = 4

export class PacketWriter {
  buf: Buffer
  pos = HEADER_SIZE

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(capacity + HEADER_SIZE)
  }

  /** Make room for n more bytes (for writers that fill the buffer directly). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  writeUInt8(v: number): this {
    this.ensure(1)
    this.buf[this.pos++] = v
    return this
  }

  writeUInt16(v: number): this {
    this.ensure(2)
    this.buf.writeUInt16LE(v, this.pos)
    this.pos += 2
    return this
  }

  writeUInt24(v: number): this {
    this.ensure(3)
    this.buf.writeUIntLE(v, this.pos, 3)
    this.pos += 3
    return this
  }

  writeUInt32(v: number): this {
    this.ensure(4)
    this.buf.writeUInt32LE(v >>> 0, this.pos)
    this.pos += 4
    return this
  }

  writeUInt64(v: bigint | number): this {
    this.ensure(8)
    this.buf.writeBigUInt64LE(BigInt(v), this.pos)
    this.pos += 8
    return this
  }

  writeLenencInt(v: number): this {
    if (v < 0xfb) return this.writeUInt8(v)
    if (v < 0x10000) return this.writeUInt8(0xfc).writeUInt16(v)
    if (v < 0x1000000) return this.writeUInt8(0xfd).writeUInt24(v)
    return this.writeUInt8(0xfe).writeUInt64(v)
  }

  writeBytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
    return this
  }

  writeZeros(n: number): this {
    this.ensure(n)
    this.buf.fill(0, this.pos, this.pos + n)
    this.pos += n
    return this
  }

  writeString(s: string): this {
    const len = Buffer.byteLength(s)
    this.ensure(len)
    this.pos += this.buf.write(s, this.pos, 'utf8')
    return this
  }

  writeNulString(s: string): this {
    return this.writeString(s).writeUInt8(0)
  }

  writeLenencBytes(b: Uint8Array): this {
    return this.writeLenencInt(b.length).writeBytes(b)
  }

  writeLenencString(s: string): this {
    return this.writeLenencBytes(Buffer.from(s, 'utf8'))
  }

  /** The payload written so far, preceded by HEADER_SIZE spare bytes (a view of the buffer). */
  framed(): Buffer {
    return this.buf.subarray(0, this.pos)
  }

  /** The payload alone (a view). */
  payload(): Buffer {
    return this.buf.subarray(HEADER_SIZE, this.pos)
  }
}
