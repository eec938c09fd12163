/** One scalar to set in a file: a dotted Helm key and its new string value. */
export interface ValueChange {
  readonly key: string;
  readonly value: string;
}

/** What a writer changed; an empty list means the file is unchanged. */
export interface AppliedChange {
  readonly key: string;
  /** Previous value, undefined when the key was created. */
  readonly from: string | undefined;
  readonly to: string;
}

export interface WriteResult {
  readonly text: string;
  readonly changes: readonly AppliedChange[];
}
