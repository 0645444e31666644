// Which change to each cluster link is the latest. Every change carries the
// time its node made it (and the node's name, to break ties); a change older
// than the one a link has is ignored, so that after a partition heals, both
// sides end with the latest change to each link, whichever side made it.

export interface Version {
  at: number;
  node: string;
}

const later = (a: Version, b: Version | undefined): boolean =>
  b === undefined || a.at > b.at || (a.at === b.at && a.node > b.node);

export class FaultVersions {
  readonly #links = new Map<string, Version>();
  #clearedAll?: Version;

  /** Whether a change at `version` to `link` (undefined: every link) wins; if so it is recorded. */
  admit(link: string | undefined, version: Version): boolean {
    if (link === undefined) {
      if (!later(version, this.#clearedAll)) return false;
      this.#clearedAll = version;
      for (const known of this.#links.keys()) this.#links.set(known, version);
      return true;
    }
    if (!later(version, this.#links.get(link)) || !later(version, this.#clearedAll)) return false;
    this.#links.set(link, version);
    return true;
  }

  /** Every link that was changed, with the version of its latest change. */
  entries(): [string, Version][] {
    return [...this.#links];
  }

  /** A link that is gone (its host left). */
  forget(link: string): void {
    this.#links.delete(link);
  }
}
