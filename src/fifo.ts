// A first-in first-out queue (the pipeline's send queue and in-flight list, a stream's queued rows):
// O(1) push and shift without Array.prototype.shift (which moves every element), references dropped
// as items leave.

/** A FIFO without shift(): an array and a head index, compacted when the head passes half. */
export class Fifo<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get size(): number {
    return this.items.length - this.head
  }
  first(): T | undefined {
    return this.items[this.head]
  }
  last(): T | undefined {
    return this.items.length > this.head ? this.items[this.items.length - 1] : undefined
  }
  at(i: number): T | undefined {
    return this.items[this.head + i]
  }
  push(item: T): void {
    this.items.push(item)
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    // Drop the reference: a finished command may hold a whole result.
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head)
      this.head = 0
    }
    return item
  }
  /** Remove the newest item (a command whose write failed before anything was sent). */
  pop(): T | undefined {
    return this.items.length > this.head ? this.items.pop() : undefined
  }
  indexOf(pred: (item: T) => boolean): number {
    for (let i = this.head; i < this.items.length; i++) if (pred(this.items[i]!)) return i - this.head
    return -1
  }
  removeAt(i: number): void {
    this.items.splice(this.head + i, 1)
  }
  /** Remove everything. */
  clear(): void {
    this.items = []
    this.head = 0
  }
  drain(): T[] {
    const out = this.items.slice(this.head) as T[]
    this.items = []
    this.head = 0
    return out
  }
}
