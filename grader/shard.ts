// Shards: `grade --shard i/N` grades every N-th submission of the class (0-based offset i-1)
// into its own folder and records which shard it was in `<out>/shard.json`; `merge` reads the
// records and refuses a set of shards that is not the whole class (a missing shard, one given
// twice, shards of different classes, kits or exercises) unless told `--partial`.
export const SHARD_FILE = 'shard.json';

export interface ShardRecord {
  /** 1-based, as on the command line. */
  readonly index: number;
  readonly count: number;
  /** Submissions in the whole class (all shards together). */
  readonly classSize: number;
  /** The students this shard graded. */
  readonly students: string[];
  readonly exercises: string[];
  readonly kitVersion: string;
}
