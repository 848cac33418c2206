// The compressed protocol as a layer between the socket and the packet framer (the frames are in
// protocol/compressed-frames.ts): incoming chunks are split into frames and inflated before the
// framer sees them; each payload a command sends is framed into packets, then into frames of its own.
// Commands never share a frame: the server reads a new command's first frame expecting compressed
// sequence id 0, and takes anything left in a frame after a command as the next one's continuation
// (measured on MariaDB 10.11: the second command of a shared frame fails "packets out of order").
//
// One counter serves both directions, as in the server: a new command's frames start at 0, and each
// frame received sets the next id written to its own + 1 — what a command answering the server
// (authentication, LOCAL INFILE data) must send. Such a command blocks everything behind it, so no
// other command's frames come in between.

import { FrameInflater, writeFrames } from '../protocol/compressed-frames.ts'
import { writePayload, type PacketSink } from '../protocol/framing.ts'

export class Compression {
  private readonly inflater: FrameInflater
  private readonly deliver: (plain: Buffer) => void
  /** Compressed sequence id of the next frame written. */
  private nextSeq = 0
  private pieces: Buffer[] = []
  private readonly collect: PacketSink = { write: (chunk) => void this.pieces.push(chunk) }

  /** `deliver` gets the packet bytes of each frame, in order (valid only during the call). */
  constructor(maxPayload: number, deliver: (plain: Buffer) => void) {
    this.inflater = new FrameInflater(maxPayload)
    this.deliver = deliver
  }

  /** Bytes from the socket. Throws MalformedPacket for a frame out of bounds or that does not inflate. */
  feed(chunk: Buffer): void {
    this.inflater.feed(chunk, this.onFrame)
  }

  /**
   * Frame one payload (after HEADER_SIZE spare bytes, see writePayload) into packets from sequence id
   * `seq`, then into frames written to `sink`; returns the next packet sequence id. `newCommand`: the
   * command's first write, whose frames start at compressed sequence id 0.
   */
  send(framed: Buffer, seq: number, newCommand: boolean, sink: PacketSink): number {
    const next = writePayload(framed, seq, this.collect)
    const pieces = this.pieces
    this.pieces = []
    this.nextSeq = writeFrames(pieces, newCommand ? 0 : this.nextSeq, sink)
    return next
  }

  private readonly onFrame = (plain: Buffer, seq: number): void => {
    this.nextSeq = (seq + 1) & 0xff
    this.deliver(plain)
  }
}
