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
  // Bytes of an incomplete packet, kept as a list so a large packet arriving in many chunks is
  // joined once, not re-copied per chunk.
  private pending: Buffer[] = []
  private pendingLength = 0
  private needed = 0
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
    if (this.pendingLength > 0) {
      // Copies: the chunk may be a view into a receive buffer the socket reuses for its next read.
      this.pending.push(Buffer.from(chunk))
      this.pendingLength += chunk.length
      if (this.pendingLength < this.needed) return
      buf = Buffer.concat(this.pending, this.pendingLength)
      this.pending = []
      this.pendingLength = 0
    }
    let pos = 0
    const len = buf.length
    this.needed = HEADER_SIZE
    while (len - pos >= HEADER_SIZE) {
      const size = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)
      // Refuse before buffering: a declared size beyond the bound is never waited for.
      if (this.partsLength + size > this.maxPayload) throw this.tooLarge(this.partsLength + size)
      if (len - pos - HEADER_SIZE < size) {
        this.needed = HEADER_SIZE + size
        break
      }
      this.seq = buf[pos + 3]!
      const start = pos + HEADER_SIZE
      pos = start + size
      if (size === MAX_PACKET_PAYLOAD) {
        if (this.parts.length === 0) this.firstSeq = this.seq
        this.parts.push(Buffer.from(buf.subarray(start, pos)))
        this.partsLength += size
      } else if (this.parts.length > 0) {
        this.parts.push(buf.subarray(start, pos))
        const joined = Buffer.concat(this.parts, this.partsLength + size)
        this.parts = []
        this.partsLength = 0
        emit(joined, 0, joined.length, this.firstSeq)
      } else {
        emit(buf, start, pos, this.seq)
      }
    }
    if (pos < len) {
      this.pending.push(Buffer.from(buf.subarray(pos)))
      this.pendingLength = len - pos
    }
  }

  /** Bytes received but not yet part of an emitted payload (0 when idle). */
  get buffered(): number {
    return this.pendingLength + this.partsLength
  }

  private tooLarge(size: number): MalformedPacket {
    return new MalformedPacket(`packet of ${size} bytes exceeds maxPacketSize ${this.maxPayload}`)
  }
}

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
