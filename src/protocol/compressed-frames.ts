// The compressed protocol (CLIENT_COMPRESS): once authentication has ended, every byte in both
// directions travels in frames. A frame is a 7-byte header — 3-byte length of the body, 1-byte
// compressed sequence id, 3-byte length before compression (0: the body is sent as it is) — and a
// body that is a zlib stream, or the bytes themselves. A frame holds any run of packet bytes: part of
// a packet, or several packets. The compressed sequence id restarts at 0 with each command and runs
// on from the last frame received when a command answers the server (authentication, LOCAL INFILE).
//
// Every read is bounded (SPEC §8): a frame whose body or declared length exceeds maxAllowedPacket is
// refused from its header, before anything is buffered or inflated; zlib is stopped one byte past the
// declared length, so a frame that inflates beyond it (a zlib bomb) costs at most that many bytes.

import { inflateSync, deflateSync } from 'node:zlib'
import { MalformedPacket } from './malformed.ts'
import type { PacketSink } from './framing.ts'

export const FRAME_HEADER_SIZE = 7

/** The most bytes one frame carries before compression: the length has 3 bytes. */
export const MAX_FRAME_PAYLOAD = 0xffffff

/** Shorter runs go uncompressed: zlib would not pay for itself (MySQL's MIN_COMPRESS_LENGTH). */
export const MIN_COMPRESS_LENGTH = 50

/** Uncompressed frames this short are written as one buffer (header and bytes copied together). */
const COPY_LIMIT = 4096

/**
 * Splits a byte stream into frames and hands out each frame's packet bytes, inflated. An uncompressed
 * frame inside one chunk is handed out in place (valid only during the emit call, like the chunk);
 * a frame split across chunks is assembled in a buffer of its exact size.
 */
export class FrameInflater {
  private partial: Buffer | null = null
  private partialFilled = 0
  // 1 to 6 bytes of a header split across chunks.
  private head: Buffer = EMPTY
  private readonly maxPayload: number

  constructor(maxPayload: number) {
    this.maxPayload = maxPayload
  }

  /** Feed one chunk; `emit` gets each frame's packet bytes and the frame's sequence id, in order. */
  feed(chunk: Buffer, emit: (plain: Buffer, seq: number) => void): void {
    let buf = chunk
    let pos = 0
    if (this.partial !== null) {
      const partial = this.partial
      const take = Math.min(partial.length - this.partialFilled, chunk.length)
      chunk.copy(partial, this.partialFilled, 0, take)
      this.partialFilled += take
      if (this.partialFilled < partial.length) return
      this.partial = null
      this.partialFilled = 0
      this.frame(partial, 0, emit)
      pos = take
    } else if (this.head.length > 0) {
      buf = Buffer.concat([this.head, chunk])
      this.head = EMPTY
    }
    const len = buf.length
    while (len - pos >= FRAME_HEADER_SIZE) {
      const size = this.checkHeader(buf, pos)
      if (len - pos - FRAME_HEADER_SIZE < size) {
        this.partial = Buffer.allocUnsafe(FRAME_HEADER_SIZE + size)
        buf.copy(this.partial, 0, pos, len)
        this.partialFilled = len - pos
        return
      }
      pos = this.frame(buf, pos, emit)
    }
    if (pos < len) this.head = Buffer.from(buf.subarray(pos))
  }

  /** Bytes received but not yet handed out (0 between frames). */
  get buffered(): number {
    return this.partialFilled + this.head.length
  }

  /** The header at buf[pos, …) within bounds: returns the body's length. */
  private checkHeader(buf: Buffer, pos: number): number {
    const size = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)
    const declared = buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16)
    // Refuse before buffering or inflating: a length beyond the bound is never waited for.
    if (size > this.maxPayload)
      throw new MalformedPacket(
        `compressed frame of ${size} bytes exceeds maxAllowedPacket ${this.maxPayload}`,
      )
    if (declared > this.maxPayload)
      throw new MalformedPacket(
        `compressed frame declares ${declared} bytes, more than maxAllowedPacket ${this.maxPayload}`,
      )
    return size
  }

  /** The complete frame at buf[pos, …), its header checked: its bytes emitted. Returns where it ends. */
  private frame(buf: Buffer, pos: number, emit: (plain: Buffer, seq: number) => void): number {
    const size = buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)
    const seq = buf[pos + 3]!
    const declared = buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16)
    const start = pos + FRAME_HEADER_SIZE
    const body = buf.subarray(start, start + size)
    emit(declared === 0 ? body : inflateFrame(body, declared), seq)
    return start + size
  }
}

/**
 * Inflate a frame's body to exactly `declared` bytes. zlib writes into one buffer of declared + 1
 * bytes and is stopped as soon as it goes past `declared`, so memory never exceeds the declaration.
 */
export function inflateFrame(body: Buffer, declared: number): Buffer {
  let out: Buffer
  try {
    out = inflateSync(body, { maxOutputLength: declared, chunkSize: Math.max(64, declared + 1) })
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new MalformedPacket(`compressed frame inflates past its declared ${declared} bytes`)
    throw new MalformedPacket(`compressed frame is not a valid zlib stream (${(e as Error).message})`)
  }
  if (out.length !== declared)
    throw new MalformedPacket(`compressed frame inflates to ${out.length} bytes, declared ${declared}`)
  return out
}

/**
 * Write `pieces` (the packets of one command, in order) as frames starting at compressed sequence id
 * `seq`, each carrying at most MAX_FRAME_PAYLOAD bytes; returns the next sequence id. A run shorter
 * than MIN_COMPRESS_LENGTH, or one zlib cannot shrink, goes uncompressed.
 */
export function writeFrames(pieces: readonly Buffer[], seq: number, sink: PacketSink): number {
  let total = 0
  for (const p of pieces) total += p.length
  let index = 0
  let offset = 0
  do {
    const runLength = Math.min(MAX_FRAME_PAYLOAD, total)
    // The run's bytes: a view of one piece when it lies inside one (the usual case), else joined.
    let run: Buffer
    if (pieces.length > 0 && pieces[index]!.length - offset >= runLength) {
      run = pieces[index]!.subarray(offset, offset + runLength)
      offset += runLength
    } else {
      run = Buffer.allocUnsafe(runLength)
      let filled = 0
      while (filled < runLength) {
        const piece = pieces[index]!
        const n = Math.min(piece.length - offset, runLength - filled)
        piece.copy(run, filled, offset, offset + n)
        filled += n
        offset += n
        if (offset === piece.length) {
          index++
          offset = 0
        }
      }
    }
    if (index < pieces.length && offset === pieces[index]!.length) {
      index++
      offset = 0
    }
    writeFrame(run, seq, sink)
    seq = (seq + 1) & 0xff
    total -= runLength
  } while (total > 0)
  return seq
}

/** One frame: `run` deflated when that makes it shorter, else as it is. */
function writeFrame(run: Buffer, seq: number, sink: PacketSink): void {
  const deflated = run.length >= MIN_COMPRESS_LENGTH ? deflateSync(run) : null
  const compressed = deflated !== null && deflated.length < run.length
  const body = compressed ? deflated : run
  const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE)
  header.writeUIntLE(body.length, 0, 3)
  header[3] = seq
  header.writeUIntLE(compressed ? run.length : 0, 4, 3)
  if (body.length <= COPY_LIMIT) {
    sink.write(Buffer.concat([header, body], FRAME_HEADER_SIZE + body.length))
  } else {
    sink.write(header)
    sink.write(body)
  }
}

const EMPTY = Buffer.alloc(0)
