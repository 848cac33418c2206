// A first-in first-out queue (the pipeline's send queue and in-flight list, a stream's queued rows):
// O(1) push and shift without Array.prototype.shift (which moves every element), references dropped
// as items leave, and the array's room kept when the queue empties (a queue that fills and empties
// once per statement would otherwise allocate a fresh backing store every time).

/** Room kept when the queue empties; a longer array (a burst of thousands) is let go. */
const KEEP_ROOM = 1024

/** A FIFO over an array with head and tail indexes, compacted when the head passes half. */
export class Fifo<T> {
  private items: (T | undefined)[] = []
  private head = 0
  /** One past the newest item; slots from tail on are undefined. */
  private tail = 0

  get size(): number {
    return this.tail - this.head
  }
  first(): T | undefined {
    return this.head < this.tail ? this.items[this.head] : undefined
  }
  last(): T | undefined {
    return this.tail > this.head ? this.items[this.tail - 1] : undefined
  }
  at(i: number): T | undefined {
    return i >= 0 && i < this.tail - this.head ? this.items[this.head + i] : undefined
  }
  push(item: T): void {
    if (this.tail < this.items.length) this.items[this.tail] = item
    else this.items.push(item)
    this.tail++
  }
  shift(): T | undefined {
    if (this.head >= this.tail) return undefined
    const item = this.items[this.head]
    // Drop the reference: a finished command may hold a whole result.
    this.items[this.head++] = undefined
    if (this.head === this.tail) {
      this.head = this.tail = 0
      if (this.items.length > KEEP_ROOM) this.items = []
    } else if (this.head > KEEP_ROOM && this.head * 2 > this.tail) {
      this.items.splice(0, this.head)
      this.tail -= this.head
      this.head = 0
    }
    return item
  }
  /** Remove the newest item (a command whose write failed before anything was sent). */
  pop(): T | undefined {
    if (this.tail <= this.head) return undefined
    const item = this.items[--this.tail]
    this.items[this.tail] = undefined
    return item
  }
  indexOf(pred: (item: T) => boolean): number {
    for (let i = this.head; i < this.tail; i++) if (pred(this.items[i]!)) return i - this.head
    return -1
  }
  removeAt(i: number): void {
    if (i < 0 || i >= this.tail - this.head) return
    this.items.splice(this.head + i, 1)
    this.tail--
  }
  /** Remove everything. */
  clear(): void {
    this.items = []
    this.head = this.tail = 0
  }
  drain(): T[] {
    const out = this.items.slice(this.head, this.tail) as T[]
    this.clear()
    return out
  }
}
