// When is an announced peer complete? The server announces a peer as one
// message per vector, all in a row, and every peer has as many vectors as we
// do. A reader that drains its socket may hold only the first few of them
// (the server was preempted between two sendmsg calls), so "drained" says
// nothing. A peer's run of vectors is complete when it has as many as every
// peer has, or when a message about another peer follows it. Pure: fed the
// stream's events in order.

export interface Run {
  peer: number;
  /** Vectors received in this run. */
  count: number;
}

export class Announcements {
  #open?: Run;
  #full?: number;

  /** How many vectors every peer has, once a complete run has shown it. */
  get full(): number | undefined {
    return this.#full;
  }

  /** The run still arriving, if any. */
  get open(): Readonly<Run> | undefined {
    return this.#open;
  }

  /** A vector of `peer` arrived: the runs it shows complete (the one it follows, its own). */
  vector(peer: number): Run[] {
    const done = this.#open && this.#open.peer !== peer ? [this.#close()] : [];
    this.#open ??= { peer, count: 0 };
    this.#open.count++;
    if (this.#full !== undefined && this.#open.count >= this.#full) done.push(this.#close());
    return done;
  }

  /** `peer` left: the run it follows is complete; its own run, if open, is void. */
  gone(peer: number): Run[] {
    if (this.#open?.peer === peer) this.#open = undefined;
    return this.#open ? [this.#close()] : [];
  }

  #close(): Run {
    const run = this.#open!;
    this.#open = undefined;
    this.#full ??= run.count;
    return run;
  }
}
