// Framing: socket chunks -> payloads, and payloads -> packets. A packet is a 3-byte length, a
// 1-byte sequence id and the payload; a payload of 0xFFFFFF bytes continues in the next packet.

import { MAX_PACKET_PAYLOAD } from './constants.ts'
import { MalformedPacket } from './malformed.ts'
import { HEADER_SIZE } from './writer.ts'

/**
 * Splits a byte stream into payloads. Complete packets inside one chunk are handed out in place
 * (no copy), valid only during the emit call: the chunk may be a receive buffer the socket reuses, so
 * consumers copy what they keep. Only a packet split across chunks, or a continued one, is copied
 * and assembled into new memory.
 */
export class PacketFramer {
  // A packet that did not fit in its chunk is assembled in a buffer of its exact size (its header
  // says how big), so a large packet costs one copy, however many chunks it arrives in.
  private partial: Buffer | null = null
  private partialFilled = 0
  // 1 to 3 bytes of a header split across chunks.
  private head: Buffer = EMPTY
  // Earlier pieces of a payload that continues over 0xFFFFFF-byte packets.
  private parts: Buffer[] = []
  private partsLength = 0
  /** Sequence id of the last packet read (the next one expected is this + 1). */
  seq = 0
  private firstSeq = 0

  private readonly maxPayload: number

  constructor(maxPayload: number) {
    this.maxPayload = maxPayload
  }

  /** Feed one chunk; `emit` gets each complete (joined) payload and its first packet's sequence id. */
  feed(chunk: Buffer, emit: (payload: Buffer, seq: number) => void): void {
    this.feedSpans(chunk, (buf, start, end, seq) => emit(buf.subarray(start, end), seq))
  }

  /**
   * feed() without a Buffer view per payload: `emit` gets the payload as buf[start, end). The hot
   * path (one row per packet) then allocates nothing here.
   */
  feedSpans(chunk: Buffer, emit: (buf: Buffer, start: number, end: number, seq: number) => void): void {
    let buf = chunk
    let pos = 0
    if (this.partial !== null) {
      // Copies: the chunk may be a view into a receive buffer the socket reuses for its next read.
      const partial = this.partial
      const take = Math.min(partial.length - this.partialFilled, chunk.length)
      chunk.copy(partial, this.partialFilled, 0, take)
      this.partialFilled += take
      if (this.partialFilled < partial.length) return
      this.partial = null
      this.partialFilled = 0
      this.packet(partial, 0, emit, true)
      pos = take
    } else if (this.head.length > 0) {
      buf = Buffer.concat([this.head, chunk])
      this.head = EMPTY
    }
    const len = buf.length
    while (len - pos >= HEADER_SIZE) {
      const size = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)
      // Refuse before buffering: a declared size beyond the bound is never waited for.
      if (this.partsLength + size > this.maxPayload) throw this.tooLarge(this.partsLength + size)
      if (len - pos - HEADER_SIZE < size) {
        this.partial = Buffer.allocUnsafe(HEADER_SIZE + size)
        buf.copy(this.partial, 0, pos, len)
        this.partialFilled = len - pos
        return
      }
      pos = this.packet(buf, pos, emit, buf !== chunk)
    }
    if (pos < len) this.head = Buffer.from(buf.subarray(pos))
  }

  /** Bytes received but not yet part of an emitted payload (0 when idle). */
  get buffered(): number {
    return this.partialFilled + this.head.length + this.partsLength
  }

  /**
   * The complete packet at buf[pos, …): emitted, or kept as a piece of a continued payload (copied
   * unless `owned`, i.e. buf is not a receive buffer the socket reuses). Returns where it ends.
   */
  private packet(
    buf: Buffer,
    pos: number,
    emit: (buf: Buffer, start: number, end: number, seq: number) => void,
    owned: boolean,
  ): number {
    const size = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)
    this.seq = buf[pos + 3]!
    const start = pos + HEADER_SIZE
    const end = start + size
    if (size === MAX_PACKET_PAYLOAD) {
      if (this.parts.length === 0) this.firstSeq = this.seq
      const piece = buf.subarray(start, end)
      this.parts.push(owned ? piece : Buffer.from(piece))
      this.partsLength += size
    } else if (this.parts.length > 0) {
      this.parts.push(buf.subarray(start, end))
      const joined = Buffer.concat(this.parts, this.partsLength + size)
      this.parts = []
      this.partsLength = 0
      emit(joined, 0, joined.length, this.firstSeq)
    } else {
      emit(buf, start, end, this.seq)
    }
    return end
  }

  private tooLarge(size: number): MalformedPacket {
    return new MalformedPacket(`packet of ${size} bytes exceeds maxAllowedPacket ${this.maxPayload}`)
  }
}

const EMPTY = Buffer.alloc(0)

/** Where framed packets go: the bytes of one packet, or a piece of one, in order. */
export interface PacketSink {
  write(chunk: Buffer): void
}

/**
 * Frame a payload that sits in `framed` after HEADER_SIZE spare bytes (see PacketWriter) into `sink`,
 * returning the next sequence id. Under 16 MiB the header is written in place and `framed` goes out
 * whole (nothing allocated); larger payloads are split, ending with a short (maybe empty) packet so
 * the reader knows the payload is complete.
 */
export function writePayload(framed: Buffer, seq: number, sink: PacketSink): number {
  const payloadLength = framed.length - HEADER_SIZE
  if (payloadLength < MAX_PACKET_PAYLOAD) {
    writeHeader(framed, payloadLength, seq)
    sink.write(framed)
    return (seq + 1) & 0xff
  }
  let offset = HEADER_SIZE
  for (;;) {
    const size = Math.min(MAX_PACKET_PAYLOAD, framed.length - offset)
    sink.write(Buffer.from([size & 0xff, (size >> 8) & 0xff, size >> 16, seq & 0xff]))
    sink.write(framed.subarray(offset, offset + size))
    seq = (seq + 1) & 0xff
    offset += size
    if (size < MAX_PACKET_PAYLOAD) return seq
  }
}

/** The 4-byte packet header (3-byte little-endian length, sequence id) at the start of `framed`. */
function writeHeader(framed: Buffer, payloadLength: number, seq: number): void {
  framed[0] = payloadLength & 0xff
  framed[1] = (payloadLength >> 8) & 0xff
  framed[2] = payloadLength >> 16
  framed[3] = seq & 0xff
}
