// The one exception the pure protocol layer throws: a payload that breaks the wire format.
// The wire turns it into a fatal CR_MALFORMED_PACKET error record; it never reaches users as is.

export class MalformedPacket extends Error {
  override readonly name = 'MalformedPacket'
}
