// What a benchmark is made of, as plain data: sections (one setup each:
// a tree, servers, mounts) hold cases; a case is measured on every one of
// its systems in every round and yields one value per row; a row compares
// "ours" against an anchor system, maybe with a goal.

/** A goal on one comparison: a ratio of medians, or a ceiling on our own median. */
export type Goal = { kind: 'ratio'; atLeast: number } | { kind: 'ceiling'; atMost: number };

export interface Comparison {
  /** The system whose median is "ours". */
  ours: string;
  /** The system it is measured against. */
  anchor: string;
  goal?: Goal;
}

export interface Row {
  /** Key in what measure() returns. */
  key: string;
  title: string;
  /** Unit of the values measure() returns for this row ("MB/s", "files/s", "MiB"). */
  unit: string;
  /** Rates are higher-better; sizes (memory, descriptors) lower-better. */
  better: 'higher' | 'lower';
  compare: readonly Comparison[];
}

export interface Case {
  /** Unique across all sections; what `index.js NAME` selects. */
  name: string;
  title: string;
  /** In the order each round runs them (A B A B ...). */
  systems: readonly string[];
  rows: readonly Row[];
  /** Fixed rounds (and no warm-up) for a case whose value does not vary with timing noise. */
  rounds?: number;
  note?: string;
  /** Runs only when named (too long for the default run): why. */
  onlyWhenNamed?: string;
}

export interface Config {
  rounds: number;
  quick: boolean;
  /** Where trees and mounts are made. */
  tmp: string;
  /** Progress or setup messages (to stderr). */
  say(text: string): void;
}

/** A section that is set up: measures one case on one system, once. */
export interface Opened {
  measure(c: Case, system: string): Promise<Record<string, number>>;
  close(): Promise<void>;
  /** Seconds its runs took during open, when a section runs them all there (the guest): counted to its first case. */
  ranFor?: number;
}

export interface Section {
  name: string;
  title: string;
  cases: readonly Case[];
  /** Why it cannot run on this machine, or undefined. */
  missing(cfg: Config): Promise<string | undefined>;
  open(cfg: Config, chosen: readonly Case[]): Promise<Opened>;
  /** A line under the section's table. */
  note?: string;
}

/** Every value a case gave, by row key and system, in round order (warm-up left out). */
export type Samples = Record<string, Record<string, number[]>>;

export interface CaseResult {
  section: string;
  case: Case;
  samples: Samples;
  /** Why it was not measured. */
  skipped?: string;
  /** Wall time of its runs (warm-up included), seconds. */
  seconds?: number;
}
